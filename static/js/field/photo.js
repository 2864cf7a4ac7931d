// A photo for the outbox: shrunk to about 1600 px JPEG on the phone (a 12-megapixel camera file would take
// minutes on a rural connection), hashed, and stamped with when and where it was taken.
import { readExif } from "./exif.js";
import { sha256 } from "./sha256.js";
import { uuid4 } from "./util.js";

const MAX_SIDE = 1600, JPEG_QUALITY = 0.8;
// A camera clock a little ahead of the phone's is still "now"; further ahead, the EXIF time is not believed.
const CLOCK_SLACK_MS = 5 * 60000;

// The canvas drops EXIF: time and place travel as fields of the upload instead.
export function resizePhoto(file) {
  const decode = window.createImageBitmap
    ? createImageBitmap(file, { imageOrientation: "from-image" }).catch(() => createImageBitmap(file))
    : Promise.reject(new Error("no createImageBitmap"));
  return decode.then((bitmap) => {
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => { canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY); });
  }).catch(() => file); // a format the browser cannot decode goes as it is
}

// ``now``, ``here`` (GeoJSON point or null) and ``accuracy`` (metres or null) are the moment and the position when
// the photo was picked. A photo picked from the gallery keeps when and where it was shot (its EXIF); a photo
// without them (or dated in the future) gets the moment and the position of now.
export function preparePhoto(file, { now, here, accuracy }) {
  return readExif(file).then((exif) => {
    exif = exif || {};
    const takenAt = exif.takenAt && exif.takenAt.getTime() <= now.getTime() + CLOCK_SLACK_MS ? exif.takenAt : now;
    const where = exif.location || here;
    return resizePhoto(file).then((blob) => sha256(blob).then((digest) => ({
      client_uuid: uuid4(), blob: blob, sha256: digest, taken_at: takenAt.toISOString(),
      location: where, accuracy_m: exif.location ? null : accuracy, stage: "before", done: false,
    })));
  });
}
