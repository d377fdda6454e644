//! Renders a QR code value as a PNG, as `GET /api/{session}/auth/qr` serves it.

use qrcode::{Color, QrCode};

/// Pixels per QR module.
const SCALE: usize = 6;
/// White border, in modules, that scanners need.
const QUIET_ZONE: usize = 4;

/// A greyscale PNG of `value` encoded as a QR code.
pub(super) fn png(value: &str) -> Vec<u8> {
    let code = QrCode::new(value.as_bytes()).expect("a short pairing value always fits a QR code");
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (index, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (index % modules + QUIET_ZONE, index / modules + QUIET_ZONE);
        for y in my * SCALE..(my + 1) * SCALE {
            pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels))
        .expect("writing a PNG to memory cannot fail");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn output_is_a_png() {
        let bytes = super::png("2@ABCDEF");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
