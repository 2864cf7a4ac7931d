// Requests to the API with the session's CSRF token, sorted into the two failures the outbox tells apart:
// NetworkError (try again later: no network, a timeout, a 5xx or a 429) and HttpError (the server said no).

export function NetworkError(message) { this.message = message; }
export function HttpError(status, body) { this.status = status; this.body = body; }

// The API's one error shape ({"error": {"message", "fields"}}) as one line for the queue.
export function errorText(body) {
  if (!body || !body.error) return "";
  const fields = body.error.fields || {}, parts = [body.error.message];
  Object.keys(fields).forEach((k) => { parts.push([].concat(fields[k]).join(" ")); });
  return parts.join(" ");
}

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

// XMLHttpRequest rather than fetch: it reports upload progress. ``headers``: extra request headers (If-Match).
export function send(method, url, body, onProgress, headers) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.timeout = 120000;
    if (!(body instanceof FormData)) xhr.setRequestHeader("Content-Type", "application/json");
    Object.keys(headers || {}).forEach((name) => { xhr.setRequestHeader(name, headers[name]); });
    if (onProgress && xhr.upload) xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else if (xhr.status >= 500 || xhr.status === 429 || xhr.status === 0) reject(new NetworkError("HTTP " + xhr.status));
      else reject(new HttpError(xhr.status, data));
    };
    xhr.onerror = xhr.ontimeout = () => { reject(new NetworkError("network")); };
    xhr.send(body instanceof FormData ? body : JSON.stringify(body));
  });
}
