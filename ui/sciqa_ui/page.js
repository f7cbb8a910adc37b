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
  const narrow = window.matchMedia("(max-width: 768px)");
  if (narrow.matches) {
    let tries = 0;
    const close = () => {
      const toggle = document.querySelector("#sq-sidebar.open > .toggle-button");
      if (toggle) toggle.click();
      else if (tries++ < 50) setTimeout(close, 50);
    };
    close();
  }

  // Gradio names each chat message by its raw content, "bot's message: <div class=...": a
  // screen reader would read the markup. Each name becomes the message's plain text instead
  // (the answer without its source cards, which follow it in the page), set again whenever
  // Gradio sets it. DOMParser builds an inert document: nothing in it runs or loads.
  const WHO = [["user's message: ", "Question: "], ["bot's message: ", "Answer: "]];
  const named = new WeakMap(); // element -> the name this script gave it
  const plain = (label) => {
    for (const [raw, said] of WHO) {
      if (!label.startsWith(raw)) continue;
      const doc = new DOMParser().parseFromString(label.slice(raw.length), "text/html");
      const cards = doc.querySelectorAll(".sq-src").length;
      doc.querySelectorAll(".sq-sources").forEach((n) => n.remove());
      const text = said + doc.body.textContent.replace(/\s+/g, " ").trim();
      return cards ? `${text} (${cards} source${cards > 1 ? "s" : ""} below)` : text;
    }
    return null;
  };
  const rename = () => {
    for (const el of document.querySelectorAll("#sq-chat [aria-label]")) {
      const label = el.getAttribute("aria-label");
      if (named.get(el) === label) continue;
      const text = plain(label);
      if (text === null) continue;
      named.set(el, text);
      el.setAttribute("aria-label", text);
    }
  };

  // On a phone the page is one scroll: a new question, and again its answer when that first
  // shows (the page may have been too short to scroll before), is brought to the top of the
  // screen, so that the answer starts in view under it rather than below the fold.
  let asked = 0;
  let answered = 0;
  const follow = () => {
    const questions = document.querySelectorAll("#sq-chat .sq-q");
    const replies = document.querySelectorAll("#sq-chat .sq-answer, #sq-chat .sq-error");
    const grew = questions.length > asked || replies.length > answered;
    asked = questions.length;
    answered = replies.length;
    if (!grew || !questions.length || !narrow.matches) return;
    const last = questions[questions.length - 1];
    (last.closest(".message-row") || last).scrollIntoView({ block: "start" });
  };

  new MutationObserver(() => {
    rename();
    follow();
  }).observe(document.body, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ["aria-label"],
  });
}
