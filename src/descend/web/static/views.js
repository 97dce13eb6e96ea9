// The page's views: the race (app.js), the maps (maps.js) and learning from data (data.js).
// The hash names the view shown and holds that view's whole state:
//   #view=maps&map=basins&s=himmelblau&o=gd:lr=0.01&res=128
// Without view= the hash is the race's (its form is in state.js), so part 1's links still
// work. A view module exports mount(section, ctx), called once, the first time it is shown,
// and restore(params), called when the hash changes while it is shown; ctx gives it the
// catalogue and writeHash(params), which replaces the hash with view=<name> and params.

const VIEWS = ["race", "maps", "data"];
const modules = {};
const lastHash = {};
let race = null;
let ctxBase = null;

export function viewOfHash(hash = location.hash) {
  const view = new URLSearchParams(hash.replace(/^#/, "")).get("view");
  return VIEWS.includes(view) ? view : "race";
}

export function currentView() {
  return viewOfHash();
}

function paramsOfHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  params.delete("view");
  return params;
}

function writeHash(view, params) {
  const query = new URLSearchParams(params);
  query.delete("view");
  const rest = query.toString().replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%3D/g, "="); // readable: o=gd:lr=0.01
  const hash = `#view=${view}${rest ? "&" + rest : ""}`;
  lastHash[view] = hash;
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

function select(view) {
  for (const name of VIEWS) {
    document.getElementById(`${name}-view`).hidden = name !== view;
    const tab = document.getElementById(`tab-${name}`);
    tab.setAttribute("aria-selected", String(name === view));
    tab.tabIndex = name === view ? 0 : -1;
  }
  document.body.dataset.view = view;
}

async function show(view, hash) {
  select(view);
  if (view === "race") {
    race.restore(hash);
    return;
  }
  const params = paramsOfHash(hash);
  if (!modules[view]) {
    const module = await import(`./${view}.js`);
    modules[view] = module;
    await module.mount(document.getElementById(`${view}-view`), {
      ...ctxBase,
      params,
      writeHash: (p) => writeHash(view, p),
    });
  } else if (modules[view].restore) {
    modules[view].restore(params);
  }
}

// Start the views. `raceView` is the race's { restore(hash), hash() }.
export function startViews(catalog, raceView, extra = {}) {
  race = raceView;
  ctxBase = { catalog, ...extra };
  for (const name of VIEWS) {
    const tab = document.getElementById(`tab-${name}`);
    tab.addEventListener("click", () => {
      if (currentView() === "race") lastHash.race = race.hash();
      const hash = lastHash[name] || (name === "race" ? race.hash() : `#view=${name}`);
      history.replaceState(null, "", hash);
      show(name, hash);
    });
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = VIEWS[(VIEWS.indexOf(name) + step + VIEWS.length) % VIEWS.length];
      document.getElementById(`tab-${next}`).focus();
      document.getElementById(`tab-${next}`).click();
    });
  }
  window.addEventListener("hashchange", () => show(viewOfHash(), location.hash));
  return show(viewOfHash(), location.hash);
}
