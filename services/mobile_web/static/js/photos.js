// Photos are downscaled on the phone before they are stored and sent: the long side to at
// most MAX_SIDE pixels, re-encoded as JPEG (which also drops the original's EXIF data).

export const MAX_PHOTOS = 6;
export const MAX_SIDE = 1600;
export const QUALITY = 0.8;

export async function downscale(file, maxSide = MAX_SIDE, quality = QUALITY) {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
  return { blob, width, height };
}
