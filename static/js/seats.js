// The − and + buttons of a seat counter. Without JavaScript they stay hidden and the number
// input alone does the job, so the form works either way.
document.querySelectorAll("[data-counter]").forEach((counter) => {
  const input = counter.querySelector("input[type=number]");
  if (!input) return;
  counter.querySelectorAll("[data-step]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => {
      const min = input.min === "" ? 1 : Number(input.min);
      const max = input.max === "" ? Infinity : Number(input.max);
      const current = parseInt(input.value, 10);
      const next = (Number.isNaN(current) ? min : current) + Number(button.dataset.step);
      input.value = String(Math.min(max, Math.max(min, next)));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });
  counter.classList.add("counter-enhanced");
});

// The "scroll sideways" hint above a wide table shows whenever its table does not fit its card
// (at any width); without JavaScript CSS shows it on narrow screens, which is harmless. Any page
// may use it: a `.scroll-hint` right before a `.users-table-wrap` or `.table-wrap` (issues 12/13).
const scrollHints = Array.from(document.querySelectorAll(".users-table-wrap, .table-wrap")).map((wrap) => {
  const hint = wrap.previousElementSibling;
  return () => {
    if (hint && hint.classList.contains("scroll-hint")) {
      const fits = wrap.scrollWidth <= wrap.clientWidth + 1;
      hint.classList.toggle("is-hidden", fits);
      hint.classList.toggle("is-visible", !fits);
    }
  };
});
const updateScrollHints = () => scrollHints.forEach((update) => update());
window.addEventListener("resize", updateScrollHints);
updateScrollHints();
