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
      card.scrollIntoView({ behavior: "smooth", block: "nearest" });
      card.classList.remove("sq-flash");
      void card.offsetWidth;
      card.classList.add("sq-flash");
    },
    true,
  );
}
