// The pages' one configuration (patrol/frontend.py), rendered by {% frontend_config %} as a json_script: the URLs
// the scripts call and the base maps they draw. Nothing else in static/js writes a URL or a tile address.
const element = document.getElementById("xuncha-config");

export const config = element ? JSON.parse(element.textContent) : { urls: {}, tiles: [] };

// url("case_page", { id: 7 }) gives "/cases/7/": the server wrote "{id}" where the id goes.
export function url(name, params) {
  const template = config.urls[name];
  if (template === undefined) throw new Error("no URL named " + name);
  return template.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(params[key]));
}
