// The maps view (in progress): mount(section, ctx) and restore(params); see views.js.
export function mount(section) {
  section.textContent = "";
}

export function restore() {}
