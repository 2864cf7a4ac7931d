// The outbox: findings, photos and patrol tracks wait in IndexedDB, each with an id made on the phone
// (client_uuid), and leave it only after the server confirmed them. The API is idempotent by those ids, so a
// retry after a lost answer never creates a duplicate. The store survives reloads and a phone that was off.
import { HttpError, errorText } from "./net.js";
import { openStores } from "./idb.js";

const store = openStores("xuncha-field", { outbox: { keyPath: "id", autoIncrement: true }, meta: { keyPath: "key" } });

export const outbox = {
  add: (item) => store("outbox", "readwrite", (s) => s.add(item)),
  // One item per client_uuid and kind: a second add of the same finding (a double tap) gives the first's id.
  addOnce: (item) => store("outbox", "readwrite", (s) => {
    const answer = { result: null };
    s.getAll().onsuccess = (event) => {
      const same = event.target.result.find((x) => x.kind === item.kind && x.client_uuid === item.client_uuid);
      if (same) answer.result = same.id;
      else s.add(item).onsuccess = (added) => { answer.result = added.target.result; };
    };
    return answer;
  }),
  put: (item) => store("outbox", "readwrite", (s) => s.put(item)),
  remove: (id) => store("outbox", "readwrite", (s) => s.delete(id)),
  all: () => store("outbox", "readonly", (s) => s.getAll()),
};

// A little state beside the outbox: the active patrol, its unsent track points, the server's patrol ids.
export const meta = {
  get: (key) => store("meta", "readonly", (s) => s.get(key)).then((r) => (r ? r.value : null)),
  set: (key, value) => store("meta", "readwrite", (s) => s.put({ key: key, value: value })),
  remove: (key) => store("meta", "readwrite", (s) => s.delete(key)),
};

// An item that must wait for an earlier one (a track batch for its patrol's id) throws this.
export function dependencyError(message) {
  const e = new Error(message);
  e.dependency = true;
  return e;
}

// The drain: in order, with backoff; an item leaves only after the server said yes. One drain at a time, so an
// item is never sent by two drains at once.
//   send(item)        sends the item; resolves once the server confirmed all of it
//   delivered(item)   after an item left the outbox
//   settled(item)     after each attempt, delivered or not
//   signedOut()       the session is gone: everything stays, the drain stops
//   done()            after every drain
let draining = false;
export function drain({ send, delivered, settled, signedOut, done }) {
  if (draining) return Promise.resolve();
  draining = true;
  return outbox.all().then((items) => {
    items.sort((a, b) => a.id - b.id);
    let chain = Promise.resolve(true);
    items.forEach((item) => {
      chain = chain.then((goOn) => {
        if (!goOn || item.state === "failed" || (item.next_try || 0) > Date.now()) return goOn;
        return send(item).then(() => outbox.remove(item.id)).then(() => {
          settled(item);
          delivered(item);
          return true;
        }, (error) => { settled(item); return failed(item, error, signedOut); });
      });
    });
    return chain;
  }).catch(() => { /* keep items; try again later */ }).then(() => {
    draining = false;
    done();
  });
}

// Whether the drain goes on to the next item.
function failed(item, error, signedOut) {
  if (error instanceof HttpError && (error.status === 401 || error.status === 403) && !(error.body && error.body.error && error.body.error.code === "forbidden")) {
    item.error = "401"; // signed out: keep everything and stop
    return outbox.put(item).then(() => { signedOut(); return false; });
  }
  if (error instanceof HttpError) {
    item.state = "failed";
    item.http_status = error.status;  // the queue says in plain words what it means (queue.js plainReason)
    item.error = errorText(error.body) || ("HTTP " + error.status);
    return outbox.put(item).then(() => true);
  }
  if (error && error.dependency) return true; // waits for an earlier item
  item.attempts = (item.attempts || 0) + 1;
  item.next_try = Date.now() + Math.min(2000 * Math.pow(2, item.attempts), 300000);
  item.state = "waiting";
  return outbox.put(item).then(() => false); // the network is down: stop for now
}
