// Saving a file the page fetched itself (an export or a dossier a worker built) under the name the server gave it.

// RFC 5987: filename*=UTF-8''…, the Chinese name the server gives the file; ``fallback`` without one.
export function fileNameOf(response, fallback = "") {
  const header = response.headers.get("Content-Disposition") || "";
  const match = /filename\*=UTF-8''([^;]+)/i.exec(header);
  return match ? decodeURIComponent(match[1]) : fallback;
}

export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
