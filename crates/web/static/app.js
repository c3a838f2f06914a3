// Progressive enhancement only: every page works without this file.
// Forms marked data-confirm ask before they submit (e.g. retiring a compound).
document.addEventListener("submit", (ev) => {
  const msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

// Pickers: a field marked data-pick="/pick/…" offers, as the reader types,
// the records whose names match (the server resolves what is sent back).
let pickTimer;
document.addEventListener("input", (ev) => {
  const field = ev.target;
  const url = field.getAttribute && field.getAttribute("data-pick");
  const list = url && document.getElementById(field.getAttribute("list"));
  if (!list) return;
  clearTimeout(pickTimer);
  pickTimer = setTimeout(async () => {
    const q = field.value.trim();
    if (q === "" || q.includes("#")) return;
    // A picker whose choices depend on another field (a role's scope) sends it too.
    const other = field.getAttribute("data-pick-role");
    const with_ = other && field.form ? `&role=${encodeURIComponent(field.form.elements[other].value)}` : "";
    const res = await fetch(`${url}?q=${encodeURIComponent(q)}${with_}`, { credentials: "same-origin" });
    if (!res.ok) return;
    list.replaceChildren(...(await res.json()).map((c) => Object.assign(document.createElement("option"), { value: c.label })));
  }, 250);
});

// The report form says, before it is sent, how many open reports of the same
// kind its compound has (a count only; the server decides what may be seen).
document.addEventListener("change", async (ev) => {
  const form = ev.target.form;
  const note = form && form.querySelector("[data-alike]");
  if (!note || !["compound", "compound_id", "category"].includes(ev.target.name)) return;
  const compound = (form.elements.compound || form.elements.compound_id || {}).value || "";
  const category = (form.elements.category || {}).value || "";
  note.hidden = true;
  if (!compound || !category) return;
  const q = `compound=${encodeURIComponent(compound)}&category=${encodeURIComponent(category)}`;
  const res = await fetch(`${note.getAttribute("data-alike")}?${q}`, { credentials: "same-origin" });
  if (!res.ok) return;
  const { count } = await res.json();
  if (count > 0) {
    note.textContent = note.getAttribute("data-text").replace("{n}", count);
    note.hidden = false;
  }
});
