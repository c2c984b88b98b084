use crate::Variant;

#[derive(clap::Args)]
pub struct Args {
    /// Variant name (b0…b7, lite0…lite4), or "all".
    variant: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<(), String> {
    let variants = if args.variant == "all" {
        Variant::ALL.to_vec()
    } else {
        vec![super::parse_variant(&args.variant)?]
    };
    for v in variants {
        let d = v.config().describe();
        if args.json {
            println!("{}", serde_json::to_string(&d).expect("serialisable"));
            continue;
        }
        println!(
            "{v}: width {} depth {} resolution {} dropout {} — {} parameters, {:.3} G multiply-adds",
            d.width,
            d.depth,
            d.resolution,
            d.dropout,
            d.params,
            d.flops as f64 / 1e9
        );
        println!(
            "  {:<20} {:>4} {:>6} {:>6} {:>7} {:>10} {:>12}",
            "operator", "res", "in", "out", "layers", "params", "MACs"
        );
        for s in &d.stages {
            println!(
                "  {:<20} {:>4} {:>6} {:>6} {:>7} {:>10} {:>12}",
                s.operator,
                s.in_resolution,
                s.in_channels,
                s.out_channels,
                s.repeats,
                s.params,
                s.flops
            );
        }
    }
    Ok(())
}
