//! ImageNet-1k class names (from torchvision's `_meta.py`, BSD-3-Clause; see ATTRIBUTION.md).

const IMAGENET: &str = include_str!("../data/imagenet_classes.txt");

/// The 1000 ImageNet-1k class names in index order.
pub fn imagenet() -> Vec<&'static str> {
    IMAGENET.lines().collect()
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
}
