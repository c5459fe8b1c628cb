// Tiles refresh by themselves: every 10 s the page's JSON is fetched and each
// [data-tile] number replaced. No inline script: the page's CSP allows only this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const tiles = document.querySelector("[data-refresh]");
  if (!tiles) return;
  const refresh = async () => {
    try {
      const reply = await fetch(tiles.dataset.refresh, { credentials: "same-origin" });
      if (!reply.ok) return;
      const data = await reply.json();
      for (const el of document.querySelectorAll("[data-tile]")) {
        const value = data.tiles[el.dataset.tile];
        if (value !== undefined) el.textContent = String(value);
      }
      const asOf = document.querySelector("[data-field=as_of]");
      if (asOf) asOf.textContent = data.as_of_text;
    } catch (e) { /* offline for a moment: the next round tries again */ }
  };
  setInterval(refresh, 10000);
});
