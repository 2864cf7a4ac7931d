// On-site records offline (#14, #15 item 6): the 现场检查（勘验）笔录 and the 询问笔录 of a case kept on the phone, with
// the party's signature (or the refusal before a witness) and the officers' signatures drawn in the form. Saved into
// the outbox at once as one item — the record and the signatures it names by client_uuid —, which sends the
// signatures first and then the action on the version of the case the inspector saw (sync.js sendRecord). The
// record's own client_uuid, made when the form opens, makes a double tap or a resend one record on the server.
// Loaded by cases.js the first time a record is opened: the field page's first load does not carry it.
import { caseStore, locateAction, showSummary } from "./cases.js";
import { outbox } from "./outbox.js";
import { $, T, toast } from "./page.js";
import { drawnSignature, signaturePad } from "./signpad.js";
import { fmt, uuid4 } from "./util.js";

const form = $("record-form");
const QUESTIONS = 3;  // empty pairs an interview starts with; "再加一问" adds more

// { action, c, clientUuid, editing, started, location, party: pad, officers: Map(id → { officer, pad, box }), saving }
let current = null;
let saved = () => {};

function field(name) { return form.elements[name]; }

function partyChoice() { return form.querySelector("input[name=party]:checked").value; }

function checkedOfficers() {
  return Array.prototype.map.call(form.querySelectorAll("#record-officers input:checked"), (box) => Number(box.value));
}

// --- the form's parts ----------------------------------------------------------------------------------------------

function addQuestion(pair) {
  const list = $("record-questions"), li = document.createElement("li");
  const q = document.createElement("label"), a = document.createElement("label");
  q.textContent = list.dataset.q;
  a.textContent = list.dataset.a;
  const question = document.createElement("input"), answer = document.createElement("textarea");
  question.className = "record-q";
  question.maxLength = 2000;
  answer.className = "record-a";
  answer.rows = 2;
  answer.maxLength = 2000;
  question.value = pair ? pair.q : "";
  answer.value = pair ? pair.a : "";
  q.appendChild(question);
  a.appendChild(answer);
  li.appendChild(q);
  li.appendChild(a);
  list.appendChild(li);
}

function questions() {
  return Array.prototype.map.call($("record-questions").children, (li) => ({
    q: li.querySelector(".record-q").value.trim(), a: li.querySelector(".record-a").value.trim() }))
    .filter((pair) => pair.q || pair.a);
}

function showOfficers(officers, chosen) {
  const box = $("record-officers");
  box.querySelectorAll("label").forEach((label) => label.remove());
  officers.forEach((officer) => {
    const label = document.createElement("label"), input = document.createElement("input");
    label.className = "check";
    input.type = "checkbox";
    input.value = officer.id;
    input.checked = chosen.indexOf(officer.id) !== -1;
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + fmt(T.officer_certificate, { name: officer.name, number: officer.certificate_number })));
    box.appendChild(label);
  });
}

// One pad for each officer ticked, in the order of the list: each signs for themselves (optional on the server, the
// document prints their name where none was drawn).
function syncOfficerPads(officers, signatures) {
  const box = $("record-officer-signs"), chosen = checkedOfficers();
  current.officers.forEach((entry, id) => {
    if (chosen.indexOf(id) === -1) { entry.box.remove(); current.officers.delete(id); }
  });
  officers.filter((o) => chosen.indexOf(o.id) !== -1 && !current.officers.has(o.id)).forEach((officer) => {
    const part = document.createElement("div"), label = document.createElement("p"), canvas = document.createElement("canvas");
    part.className = "officer-sign";
    part.dataset.officer = officer.id;
    label.textContent = fmt(T.officer_signs, { name: officer.name });
    canvas.className = "signature-pad small-pad";
    canvas.setAttribute("aria-label", label.textContent);
    const clear = document.createElement("button");
    clear.type = "button";
    clear.className = "secondary small";
    clear.textContent = T.sign_again;
    part.appendChild(label);
    part.appendChild(canvas);
    part.appendChild(clear);
    box.appendChild(part);
    const pad = signaturePad(canvas);  // on screen now: the pad reads its size
    clear.addEventListener("click", () => { pad.clear(); showMissing(); });
    canvas.addEventListener("pointerup", showMissing);
    const before = (signatures || []).find((s) => s.role === "officer" && Number(s.officer) === officer.id);
    if (before) pad.show(before);
    current.officers.set(officer.id, { officer: officer, pad: pad, box: part });
  });
  box.hidden = current.officers.size === 0;
}

function showPartyChoice() {
  const choice = partyChoice();
  $("record-party-signs").hidden = choice !== "signed";
  $("record-witness-box").hidden = choice !== "refused";
}

// --- what is missing ----------------------------------------------------------------------------------------------

function missing() {
  const problems = [];
  if (checkedOfficers().length < 2) problems.push(T.need_officers);
  if (current.action === "record_inspection" && !field("facts").value.trim()) problems.push(T.need_facts);
  if (current.action === "record_interview") {
    if (!field("interviewee").value.trim()) problems.push(T.need_interviewee);
    if (!questions().some((pair) => pair.q && pair.a)) problems.push(T.need_questions);
  }
  const choice = partyChoice();
  if (choice === "signed" && !field("signer_name").value.trim()) problems.push(T.need_signer);
  if (choice === "signed" && current.party.isEmpty()) problems.push(T.need_party_signature);
  if (choice === "refused" && !field("witness_name").value.trim()) problems.push(T.need_witness);
  return problems;
}

function showMissing() {
  if (!current) return;
  const problems = missing(), box = $("record-missing");
  box.textContent = problems.length ? T.missing + " " + problems.join(T.separator) : T.ready_to_save;
  box.classList.toggle("ready", !problems.length);
}

// --- opening and closing ------------------------------------------------------------------------------------------

function close() {
  form.reset();
  form.hidden = true;
  $("record-error").hidden = true;
  $("record-questions").textContent = "";
  $("record-officer-signs").querySelectorAll(".officer-sign").forEach((part) => part.remove());
  $("record-no-gps").hidden = true;
  if (current) current.closed = true;
  current = null;
}

// ``editing``: the outbox item of a record the server refused, opened again; ``saved(item)`` once it is in the outbox.
export function openRecord(action, c, options) {
  saved = options.saved || saved;
  const editing = options.editing || null, body = editing ? editing.body : {};
  return caseStore.getMeta("officers").then((known) => {
    close();
    const officers = known ? known.list : [];
    current = { action: action, c: c, editing: editing, clientUuid: editing ? editing.client_uuid : uuid4(),
                started: body.started_at || new Date().toISOString(), location: body.location || null,
                officers: new Map(), saving: false };
    if (!editing) locateAction(current, $("record-no-gps"));
    $("record-heading").textContent = T[action] + " · " + c.reference;
    showSummary($("record-case"), c);
    form.querySelectorAll("[data-for]").forEach((part) => { part.hidden = part.dataset.for !== action; });
    showOfficers(officers, body.officers || (known && known.me ? [known.me] : []));
    if (!officers.length) {
      $("record-error").textContent = T.no_officers_kept;
      $("record-error").hidden = false;
    }
    field("place").value = editing ? body.place || "" : [c.village, c.address].filter(Boolean).join("");
    field("facts").value = body.facts || "";
    field("measurements").value = body.measurements || "";
    field("interviewee").value = editing ? body.interviewee || "" : c.party_name || "";
    field("relation").value = body.relation || "";
    (body.questions && body.questions.length ? body.questions : Array(QUESTIONS).fill(null)).forEach(addQuestion);
    const signatures = editing ? editing.signatures : [];
    const party = signatures.find((s) => s.role === "party");
    const choice = !editing ? "signed" : body.party_present === false ? "absent" : body.refused ? "refused" : "signed";
    form.querySelector('input[name=party][value="' + choice + '"]').checked = true;
    field("signer_name").value = party ? party.signer_name : c.party_name || "";
    field("witness_name").value = body.witness_name || "";
    form.hidden = false;
    showPartyChoice();
    current.party = signaturePad($("record-party-pad"));  // on screen now: the pad reads its size
    if (party) current.party.show(party);
    syncOfficerPads(officers, signatures);
    showMissing();
    form.scrollIntoView({ block: "start" });
  });
}

// --- saving into the outbox ---------------------------------------------------------------------------------------

// A pad's signature: the one shown again untouched (same id and bytes: the server has it already, maybe), or a new
// one from what was drawn; none for a pad left empty.
function signatureOf(pad, fields) {
  if (pad.kept()) return Promise.resolve(pad.kept());
  return pad.isEmpty() ? Promise.resolve(null) : drawnSignature(pad, fields);
}

// The record as the form shows it now (read at the tap: the signatures' images are made after), without the ids of
// its signatures.
function bodyOf(mine) {
  const choice = partyChoice();
  const body = { client_uuid: mine.clientUuid, officers: checkedOfficers(), started_at: mine.started,
                 ended_at: mine.editing ? mine.editing.body.ended_at : new Date().toISOString(),
                 party_present: choice !== "absent", refused: choice === "refused",
                 witness_name: choice === "refused" ? field("witness_name").value.trim() : "",
                 place: field("place").value.trim() };
  if (mine.action === "record_inspection") {
    body.facts = field("facts").value.trim();
    body.measurements = field("measurements").value.trim();
  } else {
    body.interviewee = field("interviewee").value.trim();
    body.relation = field("relation").value.trim();
    body.questions = questions().filter((pair) => pair.q && pair.a);
  }
  if (mine.location) body.location = mine.location;
  return body;
}

function save(event) {
  event.preventDefault();
  if (!current || current.saving) return;  // a second tap while the first is saved
  const problems = missing();
  if (problems.length) {
    $("record-error").textContent = T.missing + " " + problems.join(T.separator);
    $("record-error").hidden = false;
    return;
  }
  const mine = current, body = bodyOf(mine);
  mine.saving = true;
  const signer = field("signer_name").value.trim();
  const party = partyChoice() === "signed"
    ? signatureOf(mine.party, { role: "party", signer_name: signer }) : Promise.resolve(null);
  const officers = Array.from(mine.officers.values()).map((entry) => signatureOf(entry.pad, {
    role: "officer", signer_name: entry.officer.name, officer: entry.officer.id }));
  Promise.all([party, Promise.all(officers), caseStore.get(mine.c.id)]).then(([partySignature, drawn, c]) => {
    const officerSignatures = drawn.filter(Boolean);
    body.party_signature = partySignature ? partySignature.client_uuid : null;
    body.officer_signatures = officerSignatures.map((signature) => signature.client_uuid);
    // The ETag the inspector saw goes with the item: the server takes the record only on that version.
    const item = { kind: "record", action: mine.action, client_uuid: mine.clientUuid, case_id: c.id,
                   reference: c.reference, etag: c.etag, body: body,
                   signatures: [partySignature, ...officerSignatures].filter(Boolean), state: "waiting",
                   created: mine.editing ? mine.editing.created : Date.now() };
    if (mine.editing) {
      item.id = mine.editing.id;
      return outbox.put(item).then(() => item);
    }
    return outbox.addOnce(item).then((id) => { item.id = id; return item; });
  }).then((item) => {
    close();
    window.scrollTo(0, 0);
    toast(fmt(T.record_saved, { record: T[item.action] }));
    return saved(item);
  }, (error) => {
    mine.saving = false;
    $("record-error").textContent = T.save_failed + " " + (error && error.message ? error.message : "");
    $("record-error").hidden = false;
  });
}

form.addEventListener("submit", save);
form.addEventListener("input", showMissing);
form.addEventListener("change", (event) => {
  if (event.target.name === "party") showPartyChoice();
  if (event.target.closest("#record-officers")) {
    caseStore.getMeta("officers").then((known) => { if (current) syncOfficerPads(known ? known.list : [], []); showMissing(); });
  }
  showMissing();
});
$("record-party-pad").addEventListener("pointerup", showMissing);
form.querySelector("[data-clear=record-party-pad]").addEventListener("click", () => { current.party.clear(); showMissing(); });
$("record-add-question").addEventListener("click", () => addQuestion(null));
$("record-cancel").addEventListener("click", () => { close(); window.scrollTo(0, 0); });
