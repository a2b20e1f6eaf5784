mod circle;

use crate::circle::Circle;

pub fn total_area(circles: &[Circle]) -> f64 {
    circles.iter().map(|c| c.area()).sum()
}
