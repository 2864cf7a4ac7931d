// The phone's IndexedDB stores (the outbox, the case store, the 卫片图斑 store), opened one way: a database of
// named object stores, and ``store(name, mode, work)`` that runs ``work`` on one of them in a transaction and
// answers once the transaction is complete (written), not when the request succeeded.
export function openStores(database, stores) {
  const dbPromise = new Promise((resolve, reject) => {
    const request = indexedDB.open(database, 1);
    request.onupgradeneeded = () => {
      Object.entries(stores).forEach(([name, options]) => { request.result.createObjectStore(name, options); });
    };
    request.onsuccess = () => { resolve(request.result); };
    request.onerror = () => { reject(request.error); };
  });
  return function store(name, mode, work) {
    return dbPromise.then((db) => new Promise((resolve, reject) => {
      const transaction = db.transaction(name, mode);
      const result = work(transaction.objectStore(name));
      transaction.oncomplete = () => { resolve(result && "result" in result ? result.result : result); };
      transaction.onerror = transaction.onabort = () => { reject(transaction.error); };
    }));
  };
}
