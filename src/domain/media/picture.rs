//! What an uploaded file must be to become a picture, and what is kept of it: the kind is
//! read from the bytes (never the name or the claimed type), the pixels are decoded within
//! bounds, turned upright, and encoded afresh, so that nothing but the picture survives (no
//! EXIF location, no comments, no trailing data), with a thumbnail beside it.
use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat};

use crate::error::{AppError, AppResult};

/// The largest file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The largest width or height decoded, and the most pixels: a small file must not become
/// gigabytes of pixels (40 MP is 160 MB as RGBA; a job holds two or three such copies).
const MAX_SIDE: u32 = 8192;
const MAX_PIXELS: u64 = 40_000_000;
const MAX_ALLOC: u64 = 200 * 1024 * 1024;
/// The thumbnail's longest side.
pub const THUMBNAIL_SIDE: u32 = 400;

/// The kinds of picture accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    WebP,
    Gif,
}

impl Kind {
    /// The kind the bytes say they are, if it is one we accept.
    pub fn sniff(bytes: &[u8]) -> Option<Kind> {
        match image::guess_format(bytes).ok()? {
            ImageFormat::Png => Some(Kind::Png),
            ImageFormat::Jpeg => Some(Kind::Jpeg),
            ImageFormat::WebP => Some(Kind::WebP),
            ImageFormat::Gif => Some(Kind::Gif),
            _ => None,
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            Kind::Png => ImageFormat::Png,
            Kind::Jpeg => ImageFormat::Jpeg,
            Kind::WebP => ImageFormat::WebP,
            Kind::Gif => ImageFormat::Gif,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::WebP => "image/webp",
            Kind::Gif => "image/gif",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Kind::Png => "png",
            Kind::Jpeg => "jpg",
            Kind::WebP => "webp",
            Kind::Gif => "gif",
        }
    }

    /// The kind a stored key ends with.
    pub fn of_extension(ext: &str) -> Option<Kind> {
        [Kind::Png, Kind::Jpeg, Kind::WebP, Kind::Gif].into_iter().find(|k| k.extension() == ext)
    }
}

/// A picture ready to store, in the kind it is stored as: uploads keep their kind, except
/// WebP, which is stored as JPEG (PNG when it is transparent) because the encoder at hand
/// writes only lossless WebP, which would make a photograph many times larger.
pub struct Processed {
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
    pub picture: Vec<u8>,
    pub thumbnail: Vec<u8>,
}

fn unreadable() -> AppError {
    AppError::bad_input("file", "the file is not a readable PNG, JPEG, WebP or GIF picture")
}

/// Checks and re-encodes an uploaded file. CPU-bound: run it off the async workers.
pub fn process(bytes: &[u8]) -> AppResult<Processed> {
    if bytes.len() > MAX_BYTES {
        return Err(too_large());
    }
    let kind = Kind::sniff(bytes)
        .ok_or_else(|| AppError::bad_input("file", "only PNG, JPEG, WebP and GIF pictures can be uploaded"))?;
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), kind.format());
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| unreadable())?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(AppError::bad_input("file", "a picture may have at most 40 million pixels"));
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| unreadable())?;
    img.apply_orientation(orientation);
    let kind = match kind {
        Kind::WebP if img.color().has_alpha() => Kind::Png,
        Kind::WebP => Kind::Jpeg,
        other => other,
    };
    let picture = encode(&img, kind)?;
    // A small picture is its own thumbnail (never enlarged).
    let thumbnail = if img.width() <= THUMBNAIL_SIDE && img.height() <= THUMBNAIL_SIDE {
        picture.clone()
    } else {
        encode(&img.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE), kind)?
    };
    // Re-encoding may grow a file somewhat, never without bound.
    if picture.len() > 3 * MAX_BYTES {
        return Err(AppError::bad_input("file", "this picture cannot be stored at a reasonable size"));
    }
    Ok(Processed { kind, width: img.width(), height: img.height(), picture, thumbnail })
}

pub fn too_large() -> AppError {
    AppError::bad_input("file", format!("a picture may be at most {} MB", MAX_BYTES / (1024 * 1024)))
}

fn encode(img: &DynamicImage, kind: Kind) -> AppResult<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    let written = match kind {
        // JPEG has no alpha; 85 keeps photographs sharp at a fraction of the size.
        Kind::Jpeg => {
            let rgb = img.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&rgb)
        }
        Kind::Png => img.write_to(&mut out, ImageFormat::Png),
        // The GIF encoder takes 8-bit RGBA; a GIF keeps its first frame.
        Kind::WebP | Kind::Gif => DynamicImage::ImageRgba8(img.to_rgba8()).write_to(&mut out, kind.format()),
    };
    written.map_err(|e| AppError::internal(anyhow::anyhow!("encoding a picture: {e}")))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7])));
        let mut out = Cursor::new(Vec::new());
        let _ = img.write_to(&mut out, ImageFormat::Png);
        out.into_inner()
    }

    #[test]
    fn a_picture_is_measured_and_gets_a_thumbnail() -> Result<(), String> {
        let p = process(&png(1200, 600)).map_err(|e| format!("{e:?}"))?;
        assert_eq!((p.kind, p.width, p.height), (Kind::Png, 1200, 600));
        let thumb = image::load_from_memory(&p.thumbnail).map_err(|e| e.to_string())?;
        assert_eq!((thumb.width(), thumb.height()), (400, 200));
        Ok(())
    }

    #[test]
    fn small_pictures_are_not_enlarged_and_webp_is_kept_as_jpeg() -> Result<(), String> {
        let p = process(&png(40, 30)).map_err(|e| format!("{e:?}"))?;
        assert_eq!(p.thumbnail, p.picture);
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 64, |x, _| image::Rgb([x as u8, 9, 9])));
        let mut webp = Cursor::new(Vec::new());
        img.write_to(&mut webp, ImageFormat::WebP).map_err(|e| e.to_string())?;
        let p = process(&webp.into_inner()).map_err(|e| format!("{e:?}"))?;
        assert_eq!((p.kind, p.width), (Kind::Jpeg, 64));
        Ok(())
    }

    #[test]
    fn text_claiming_to_be_a_picture_and_broken_pictures_are_refused() {
        assert!(process(b"<svg xmlns='http://www.w3.org/2000/svg'/>").is_err());
        let mut broken = png(10, 10);
        broken.truncate(40);
        assert!(process(&broken).is_err());
    }
}
