//! QR codes of offer strings (enrollment offers, `otpauth://` URIs) as SVG,
//! PNG and terminal text.
//!
//! Offers can carry secrets (an `otpauth://` URI holds the TOTP secret), so
//! every rendering is returned in a [`Zeroizing`] buffer.

use qrcode::render::{svg, unicode};
use qrcode::{Color, EcLevel, QrCode};
use zeroize::Zeroizing;

use crate::error::Result;

/// Light modules around the symbol on each side, as ISO/IEC 18004 asks.
pub const QUIET_ZONE: u32 = 4;
/// Largest accepted PNG module size, in pixels.
pub const MAX_MODULE_PX: u32 = 32;

/// A QR symbol, ready to render. `Debug` shows only its size.
pub struct Qr {
    code: QrCode,
}

impl std::fmt::Debug for Qr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Qr({}x{} modules)", self.width(), self.width())
    }
}

impl Qr {
    /// Encodes `data` with error correction level M (15 %).
    pub fn new(data: &str) -> Result<Self> {
        Ok(Self {
            code: QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)?,
        })
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> u32 {
        u32::try_from(self.code.width()).unwrap_or(u32::MAX)
    }

    /// Modules per side, with the quiet zone.
    pub fn width_with_quiet_zone(&self) -> u32 {
        self.width().saturating_add(2 * QUIET_ZONE)
    }

    /// An SVG document, at least 256 × 256 user units, quiet zone included.
    pub fn svg(&self) -> Zeroizing<String> {
        Zeroizing::new(
            self.code
                .render::<svg::Color<'_>>()
                .quiet_zone(true)
                .min_dimensions(256, 256)
                .build(),
        )
    }

    /// Text for terminals: two module rows per line with Unicode half
    /// blocks, light-on-dark (so it scans on a dark terminal), quiet zone
    /// included: `ceil(width_with_quiet_zone / 2)` lines.
    pub fn text(&self) -> Zeroizing<String> {
        Zeroizing::new(
            self.code
                .render::<unicode::Dense1x2>()
                .quiet_zone(true)
                .dark_color(unicode::Dense1x2::Light)
                .light_color(unicode::Dense1x2::Dark)
                .build(),
        )
    }

    /// A 1-bit grayscale PNG, `module_px` pixels per module (clamped to
    /// 1..=[`MAX_MODULE_PX`]), quiet zone included: each side is
    /// `width_with_quiet_zone() * module_px` pixels.
    pub fn png(&self, module_px: u32) -> Result<Zeroizing<Vec<u8>>> {
        let scale = module_px.clamp(1, MAX_MODULE_PX) as usize;
        let modules = self.code.width();
        let quiet = QUIET_ZONE as usize;
        let side_modules = modules + 2 * quiet;
        let side = side_modules * scale;
        let row_bytes = side.div_ceil(8);
        let colors = self.code.to_colors();

        // Bit 1 = white (light), bit 0 = black (dark); start all white.
        let mut pixels = Zeroizing::new(vec![0xFFu8; row_bytes * side]);
        for (i, color) in colors.iter().enumerate() {
            if *color != Color::Dark {
                continue;
            }
            let (mx, my) = (i % modules + quiet, i / modules + quiet);
            for y in my * scale..(my + 1) * scale {
                for x in mx * scale..(mx + 1) * scale {
                    if let Some(byte) = pixels.get_mut(y * row_bytes + x / 8) {
                        *byte &= !(0x80u8 >> (x % 8));
                    }
                }
            }
        }

        let side_u32 = u32::try_from(side).unwrap_or(u32::MAX);
        let mut out = Zeroizing::new(Vec::new());
        {
            let mut encoder = png::Encoder::new(&mut *out, side_u32, side_u32);
            encoder.set_color(png::ColorType::Grayscale);
            encoder.set_depth(png::BitDepth::One);
            let mut writer = encoder.write_header()?;
            writer.write_image_data(&pixels)?;
            writer.finish()?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str =
        "otpauth://totp/Example:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example";

    #[test]
    fn png_decodes_to_expected_size_with_quiet_zone() {
        let qr = Qr::new(URI).unwrap();
        let bytes = qr.png(5).unwrap();
        let decoder = png::Decoder::new(&bytes[..]);
        let mut reader = decoder.read_info().unwrap();
        let side = qr.width_with_quiet_zone() * 5;
        assert_eq!((reader.info().width, reader.info().height), (side, side));
        // Expand to 8-bit to look at pixels.
        let mut buf = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut buf).unwrap();
        assert_eq!(frame.bit_depth, png::BitDepth::One);
        let row_bytes = frame.line_size;
        let pixel = |x: usize, y: usize| buf[y * row_bytes + x / 8] & (0x80 >> (x % 8)) != 0;
        // Quiet zone is white; the top-left finder pattern starts black right after it.
        let q = (QUIET_ZONE * 5) as usize;
        assert!(pixel(0, 0) && pixel(q - 1, q - 1));
        assert!(!pixel(q, q));
    }

    #[test]
    fn png_module_size_is_clamped() {
        let qr = Qr::new("x").unwrap();
        let bytes = qr.png(0).unwrap();
        let reader = png::Decoder::new(&bytes[..]).read_info().unwrap();
        assert_eq!(reader.info().width, qr.width_with_quiet_zone());
    }

    #[test]
    fn svg_is_a_whole_document() {
        let svg = Qr::new(URI).unwrap().svg();
        assert!(svg.starts_with("<?xml"), "{}", &svg[..40]);
        assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("<path"));
        assert_eq!(svg.matches("<svg").count(), 1);
    }

    #[test]
    fn text_has_one_line_per_two_module_rows() {
        let qr = Qr::new(URI).unwrap();
        let text = qr.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as u32, qr.width_with_quiet_zone().div_ceil(2));
        let columns = qr.width_with_quiet_zone() as usize;
        assert!(lines.iter().all(|l| l.chars().count() == columns));
    }

    #[test]
    fn too_long_data_is_an_error() {
        assert!(Qr::new(&"x".repeat(5000)).is_err());
    }
}
