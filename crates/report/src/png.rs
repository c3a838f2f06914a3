//! The ranking of one KPI as a bar chart in PNG, for the Word bulletin. It
//! is drawn pixel by pixel, with no font or rasteriser to depend on: the bars
//! stand in the order of the table beneath them, which names them, and the
//! caption says what the colours and the line mean.

use std::io::Write;

const WIDTH: u32 = 640;
const BAR: u32 = 14;
const GAP: u32 = 6;
const MARGIN: u32 = 10;
/// At most this many bars (the table lists every row).
pub const MAX_BARS: usize = 40;

const GREEN: [u8; 3] = [0x2e, 0x7d, 0x32];
const RED: [u8; 3] = [0xb7, 0x1c, 0x1c];
const GRID: [u8; 3] = [0xdd, 0xdd, 0xdd];
const NONE: [u8; 3] = [0xbb, 0xbb, 0xbb];

/// Bars for `values` (per mille, or none; `true` where below target), the
/// target as a vertical line. Returns the PNG and its size in pixels.
pub fn bars(values: &[(Option<i64>, bool)], target: Option<i64>) -> (Vec<u8>, u32, u32) {
    let n = values.len().min(MAX_BARS) as u32;
    let height = 2 * MARGIN + n.max(1) * (BAR + GAP);
    let mut px = vec![255u8; (WIDTH * height * 3) as usize];
    let plot = WIDTH - 2 * MARGIN;
    let x_of = |permille: i64| MARGIN + (plot as i64 * permille.clamp(0, 1000) / 1000) as u32;
    let mut fill = |x0: u32, x1: u32, y0: u32, y1: u32, c: [u8; 3]| {
        for y in y0..y1.min(height) {
            for x in x0..x1.min(WIDTH) {
                let i = ((y * WIDTH + x) * 3) as usize;
                px[i..i + 3].copy_from_slice(&c);
            }
        }
    };
    for tenth in 0..=5 {
        let x = x_of(tenth * 200);
        fill(x, x + 1, MARGIN / 2, height - MARGIN / 2, GRID);
    }
    for (i, (v, lag)) in values.iter().take(MAX_BARS).enumerate() {
        let y = MARGIN + i as u32 * (BAR + GAP);
        match v {
            Some(p) => fill(MARGIN, x_of(*p).max(MARGIN + 1), y, y + BAR, if *lag { RED } else { GREEN }),
            None => fill(MARGIN, MARGIN + 3, y, y + BAR, NONE),
        }
    }
    if let Some(t) = target {
        let x = x_of(t);
        // Dashed, so it reads as a line to reach, not a bar.
        let mut y = MARGIN / 2;
        while y < height - MARGIN / 2 {
            fill(x.saturating_sub(1), x + 1, y, y + 6, RED);
            y += 10;
        }
    }
    (encode(&px, WIDTH, height), WIDTH, height)
}

/// RGB pixels as a PNG (each row unfiltered, deflated).
fn encode(rgb: &[u8], w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend(kind);
        out.extend(data);
        out.extend(crc.sum().to_be_bytes());
    }
    let mut raw = Vec::with_capacity(rgb.len() + h as usize);
    for row in rgb.chunks(w as usize * 3) {
        raw.push(0);
        raw.extend_from_slice(row);
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).expect("writing to memory");
    let idat = z.finish().expect("writing to memory");
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, no filter method, no interlace
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_make_a_png_of_the_right_size() {
        let (png, w, h) = bars(&[(Some(850), false), (Some(400), true), (None, false)], Some(800));
        assert_eq!(&png[..8], &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        assert_eq!((w, h), (WIDTH, 2 * MARGIN + 3 * (BAR + GAP)));
        assert_eq!(&png[16..24], &[&w.to_be_bytes()[..], &h.to_be_bytes()[..]].concat()[..], "IHDR holds the size");
        // The IDAT inflates to one filter byte and three bytes a pixel per row.
        let start = png.windows(4).position(|c| c == b"IDAT").unwrap();
        let len = u32::from_be_bytes(png[start - 4..start].try_into().unwrap()) as usize;
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&png[start + 4..start + 4 + len]), &mut raw)
            .unwrap();
        assert_eq!(raw.len(), (h * (1 + w * 3)) as usize);
    }
}
