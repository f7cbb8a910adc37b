() => {
  // A citation marker [n] opens its source card under the answer and brings it into view.
  document.addEventListener(
    "click",
    (event) => {
      const link = event.target instanceof Element ? event.target.closest("a.sq-cite") : null;
      if (!link) return;
      event.preventDefault();
      event.stopPropagation();
      const card = document.getElementById((link.getAttribute("href") || "").slice(1));
      if (!card) return;
      card.open = true;
      const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      card.scrollIntoView({ behavior: still ? "auto" : "smooth", block: "nearest" });
      card.classList.remove("sq-flash");
      void card.offsetWidth;
      card.classList.add("sq-flash");
    },
    true,
  );

  // On a phone the settings panel would cover the whole page: start with it closed there.
  if (window.matchMedia("(max-width: 768px)").matches) {
    let tries = 0;
    const close = () => {
      const toggle = document.querySelector("#sq-sidebar.open > .toggle-button");
      if (toggle) toggle.click();
      else if (tries++ < 50) setTimeout(close, 50);
    };
    close();
  }
}
