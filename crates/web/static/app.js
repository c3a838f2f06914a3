// Progressive enhancement only: every page works without this file.
// Forms marked data-confirm ask before they submit (e.g. retiring a compound).
document.addEventListener("submit", (ev) => {
  const msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
