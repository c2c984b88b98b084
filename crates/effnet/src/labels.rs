//! ImageNet-1k class names (from torchvision's `_meta.py`, BSD-3-Clause) and WordNet ids
//! (from timm's `imagenet_synsets.txt`, Apache-2.0); see ATTRIBUTION.md.

const IMAGENET: &str = include_str!("../data/imagenet_classes.txt");
const WNIDS: &str = include_str!("../data/imagenet_wnids.txt");

/// The 1000 ImageNet-1k class names in index order.
pub fn imagenet() -> Vec<&'static str> {
    IMAGENET.lines().collect()
}

/// The 1000 ImageNet-1k WordNet ids (`n01440764`, …) in class-index order: the names of
/// ImageNet's (and Imagenette's) class folders.
pub fn wnids() -> Vec<&'static str> {
    WNIDS.lines().collect()
}

/// The ImageNet-1k class a folder name stands for: a WordNet id (`n01440764`), or a class name
/// as [`imagenet`] spells it, exactly or else ignoring case with `_` for a space
/// (`Egyptian_cat`) when that matches one class only (`CARDIGAN` is the dog, `Cardigan`, or the
/// sweater, `cardigan`). `None` for anything else.
pub fn imagenet_index(name: &str) -> Option<usize> {
    let loose = |s: &str| s.to_lowercase().replace('_', " ");
    let exact = WNIDS
        .lines()
        .position(|w| w == name)
        .or_else(|| IMAGENET.lines().position(|n| n == name));
    exact.or_else(|| {
        let name = loose(name);
        let mut matches = IMAGENET
            .lines()
            .enumerate()
            .filter(|(_, n)| loose(n) == name);
        match (matches.next(), matches.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    })
}

/// The name of class `index` for a classifier with `num_classes` outputs.
pub fn label(index: usize, num_classes: usize) -> String {
    match (num_classes, IMAGENET.lines().nth(index)) {
        (1000, Some(name)) => name.to_string(),
        _ => format!("class {index}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn there_are_a_thousand_classes() {
        let names = super::imagenet();
        assert_eq!(names.len(), 1000);
        assert_eq!(names[0], "tench");
        assert_eq!(names[967], "espresso");
        assert_eq!(super::label(3, 10), "class 3");
    }

    #[test]
    fn folders_name_classes_by_wnid_or_name() {
        let wnids = super::wnids();
        assert_eq!(wnids.len(), 1000);
        assert_eq!(wnids[0], "n01440764");
        assert!(wnids.iter().all(|w| w.len() == 9 && w.starts_with('n')));
        assert_eq!(super::imagenet_index("n01440764"), Some(0));
        assert_eq!(super::imagenet_index("n07920052"), Some(967));
        assert_eq!(super::imagenet_index("espresso"), Some(967));
        assert_eq!(super::imagenet_index("tiger cat"), Some(282));
        assert_eq!(super::imagenet_index("Egyptian_cat"), Some(285));
        assert_eq!(super::imagenet_index("egyptian cat"), Some(285));
        assert_eq!(super::imagenet_index("cardigan"), Some(474));
        assert_eq!(super::imagenet_index("CARDIGAN"), None, "two classes");
        assert_eq!(super::imagenet_index("n99999999"), None);
        assert_eq!(super::imagenet_index("no such class"), None);
    }
}
