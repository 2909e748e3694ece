// Keyboard labelling: a digit key labels the selected input, x marks it not a digit, Enter
// accepts the suggestion (the feedback's label, else the model's guess), Backspace clears,
// arrows move, Ctrl+Enter sends. Each label is saved as it is set.
const grid = document.getElementById("grid");
const cells = [...grid.querySelectorAll(".cell")];
const count = document.getElementById("count");
const error = document.getElementById("error");
const pending = new Set();
let selected = Math.max(0, cells.findIndex((c) => c.dataset.label === ""));

function select(index) {
  cells[selected]?.classList.remove("selected");
  selected = Math.min(Math.max(index, 0), cells.length - 1);
  cells[selected]?.classList.add("selected");
  cells[selected]?.scrollIntoView({ block: "nearest" });
}

function columns() {
  const top = cells[0]?.offsetTop;
  const first = cells.findIndex((c) => c.offsetTop !== top);
  return first === -1 ? cells.length : first;
}

function save(cell, label) {
  cell.dataset.label = label ?? "";
  cell.querySelector(".label").textContent = label ?? "";
  cell.classList.add("saving");
  const request = fetch(grid.dataset.labels + cell.dataset.file, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ label }),
  })
    .then(async (response) => {
      if (!response.ok) throw new Error((await response.json()).error);
      cell.classList.remove("saving");
      count.textContent = cells.filter(
        (c) => c.dataset.label !== "" && !c.classList.contains("saving"),
      ).length;
      error.hidden = true;
    })
    .catch((exc) => { error.textContent = `not saved: ${exc.message}`; error.hidden = false; })
    .finally(() => pending.delete(request));
  pending.add(request);
}

document.addEventListener("keydown", async (event) => {
  if (grid.dataset.sent !== undefined || !cells.length) return;
  const cell = cells[selected];
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    await Promise.all(pending);
    document.getElementById("send").requestSubmit();
  } else if (/^[0-9]$/.test(event.key) && !event.ctrlKey && !event.metaKey) {
    save(cell, Number(event.key));
    select(selected + 1);
  } else if (event.key === "x") {
    save(cell, "x");
    select(selected + 1);
  } else if (event.key === "Enter" && cell.dataset.suggest !== "") {
    event.preventDefault();
    save(cell, Number(cell.dataset.suggest));
    select(selected + 1);
  } else if (event.key === "Backspace" || event.key === "Delete") {
    save(cell, null);
  } else {
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns(), ArrowDown: columns() };
    if (!(event.key in moves)) return;
    event.preventDefault();
    select(selected + moves[event.key]);
  }
});

const sent = document.getElementById("sent");
async function follow() {
  const progress = await (await fetch(sent.dataset.progress)).json();
  document.getElementById("state").textContent = progress.detail;
  if (progress.run_url) {
    const run = document.getElementById("run");
    run.href = progress.run_url;
    run.textContent = `retraining run ${progress.run_id.slice(0, 8)} (${progress.run_status})`;
    run.hidden = false;
  }
  const done = ["SUCCESS", "FAILURE", "CANCELED"].includes(progress.run_status);
  if (progress.state !== "quarantined" && !done) setTimeout(follow, 2000);
}
if (sent) follow();
select(selected);
