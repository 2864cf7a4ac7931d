// EXIF of a photo: when and where it was shot.
// Only what the evidence needs: DateTimeOriginal (with OffsetTimeOriginal when the camera wrote it) and the
// GPS position, read from the first 256 KB of a JPEG. Anything unreadable gives null, never an error.

export function readExif(file) {
  return new Promise((resolve) => {
    if (!file || !/jpe?g$/i.test(file.type || "")) { resolve(null); return; }
    const reader = new FileReader();
    reader.onload = () => {
      try { resolve(parseJpegExif(new DataView(reader.result))); } catch (e) { resolve(null); }
    };
    reader.onerror = () => { resolve(null); };
    reader.readAsArrayBuffer(file.slice(0, 256 * 1024));
  });
}

// { takenAt: Date, location: GeoJSON Point } with what was found, or null when there is no EXIF block.
export function parseJpegExif(view) {
  if (view.getUint16(0) !== 0xFFD8) return null;
  let offset = 2;
  while (offset + 10 <= view.byteLength) {
    const marker = view.getUint16(offset);
    if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) return null;  // not a marker, or the image data
    if (marker === 0xFFE1 && view.getUint32(offset + 4) === 0x45786966) return parseTiff(view, offset + 10);
    offset += 2 + view.getUint16(offset + 2);
  }
  return null;
}

function parseTiff(view, start) {
  const little = view.getUint16(start) === 0x4949;
  const u16 = (at) => view.getUint16(start + at, little);
  const u32 = (at) => view.getUint32(start + at, little);
  function entries(at) {
    const tags = {}, count = u16(at);
    for (let i = 0; i < count; i++) {
      const e = at + 2 + i * 12;
      tags[u16(e)] = { count: u32(e + 4), at: e + 8 };
    }
    return tags;
  }
  function ascii(tag) {
    const at = tag.count > 4 ? u32(tag.at) : tag.at;
    let text = "";
    for (let i = 0; i < tag.count - 1; i++) text += String.fromCharCode(view.getUint8(start + at + i));
    return text;
  }
  function degrees(tag) {
    const at = u32(tag.at), parts = [];
    for (let i = 0; i < 3; i++) parts.push(u32(at + i * 8) / u32(at + i * 8 + 4));
    return parts[0] + parts[1] / 60 + parts[2] / 3600;
  }
  const root = entries(u32(4)), result = {};
  if (root[0x8769]) {
    const exif = entries(u32(root[0x8769].at));
    const shot = exif[0x9003] && /^(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)/.exec(ascii(exif[0x9003]));
    const zone = exif[0x9011] && ascii(exif[0x9011]);
    if (shot) {
      const when = zone && /^[+-]\d\d:\d\d$/.test(zone)
        ? new Date(shot[1] + "-" + shot[2] + "-" + shot[3] + "T" + shot[4] + ":" + shot[5] + ":" + shot[6] + zone)
        : new Date(+shot[1], +shot[2] - 1, +shot[3], +shot[4], +shot[5], +shot[6]);  // no zone: the phone's
      if (!isNaN(when.getTime())) result.takenAt = when;
    }
  }
  if (root[0x8825]) {
    const gps = entries(u32(root[0x8825].at));
    if (gps[1] && gps[2] && gps[3] && gps[4]) {
      const lat = degrees(gps[2]) * (ascii(gps[1]) === "S" ? -1 : 1);
      const lng = degrees(gps[4]) * (ascii(gps[3]) === "W" ? -1 : 1);
      if (isFinite(lat) && isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180 && (lat || lng)) {
        result.location = { type: "Point", coordinates: [lng, lat] };
      }
    }
  }
  return result;
}
