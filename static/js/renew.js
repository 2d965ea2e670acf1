// The live total of "Payments → Renew". On every change the renew form is POSTed (with the CSRF
// token of the order form) to the quote endpoint; the answer fills the summary, the billing
// details and the hidden fields of "Continue to payment", without reloading the page.
// Without JavaScript, "Recalculate" reloads the page with the quote instead.
(() => {
  const form = document.getElementById("renew-form");
  const summary = document.getElementById("renew-summary");
  const orderForm = document.getElementById("renew-order-form");
  if (!form || !summary || !orderForm) return;

  const csrf = orderForm.querySelector("[name=csrfmiddlewaretoken]").value;
  const continueButton = orderForm.querySelector("[data-continue]");
  const errorBox = summary.querySelector("[data-quote-error]");
  const details = document.querySelector("[data-quote-details]");
  const otherRadio = form.querySelector("input[name=until][value=other]");
  const otherMonth = form.querySelector("input[name=other_month]");
  let timer = null;
  let latest = 0;
  let controller = null;

  // the total is live: "Recalculate" is for browsers without JavaScript
  form.querySelectorAll("[data-recalculate]").forEach((el) => { el.hidden = true; });

  function setState(state) {
    summary.dataset.state = state;
    details.dataset.state = state; // stale details are dimmed like the summary
    continueButton.disabled = state !== "ready" || !(parseFloat(summary.dataset.gross) > 0);
  }

  function markField(name) {
    form.querySelectorAll(".field-invalid").forEach((el) => el.classList.remove("field-invalid"));
    const field = name && form.querySelector(`[data-field="${name}"]`);
    if (field) field.classList.add("field-invalid");
  }

  function showError(message, field) {
    errorBox.textContent = message || summary.dataset.msgFailed;
    errorBox.hidden = false;
    markField(field === "other_month" ? "until" : field);
    // no stale total next to an error: the values and the details of the last quote are
    // cleared, as on a page rendered without a quote
    summary.querySelectorAll("[data-quote]").forEach((el) => {
      const empty = el.dataset.quote === "vat_note" ? "" : "—";
      el.textContent = el.dataset.format === "percent" ? "0" : empty;
    });
    details.innerHTML = "";
    summary.dataset.gross = "";
    setState("error");
  }

  function show(quote) {
    // amounts, percents and the date as the server formatted them for the page's language
    // (`display`), so the live values read exactly like those rendered with the page
    const shown = quote.display || {};
    summary.querySelectorAll("[data-quote]").forEach((el) => {
      const name = el.dataset.quote;
      el.textContent = name in shown ? shown[name] : String(quote[name]);
    });
    details.innerHTML = quote.details_html;
    // "Continue to payment" orders exactly what is on screen
    orderForm.elements.until.value = quote.valid_until.slice(0, 7);
    Array.from(orderForm.querySelectorAll("input[type=hidden]")).forEach((input) => {
      if (input.name === "until" || input.name === "csrfmiddlewaretoken") return;
      const source = form.elements[input.name];
      input.value = source && source.value !== "" ? source.value : "0";
    });
    summary.dataset.gross = quote.gross;
    errorBox.hidden = true;
    markField(null);
    setState("ready");
  }

  async function refresh() {
    const request = ++latest;
    if (controller) controller.abort();
    controller = new AbortController();
    setState("loading");
    try {
      const response = await fetch(form.dataset.quoteUrl, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      });
      const data = await response.json().catch(() => ({}));
      if (request !== latest) return; // a newer change is on its way
      // anything but a quote (e.g. the login page after the session ended) is an error
      if (response.ok && typeof data.gross === "string") show(data);
      else showError(data.error, data.field);
    } catch (error) {
      if (error.name !== "AbortError" && request === latest) showError(null, null);
    }
  }

  function schedule() {
    clearTimeout(timer);
    setState("loading");
    timer = setTimeout(refresh, 200);
  }

  form.addEventListener("change", schedule);
  form.addEventListener("input", (event) => {
    if (event.target.type === "number" || event.target.type === "month") schedule();
  });
  // typing a month picks "another month"
  if (otherMonth && otherRadio) {
    otherMonth.addEventListener("focus", () => {
      if (otherRadio.checked) return;
      otherRadio.checked = true;
      schedule();
    });
  }
  // Enter in a field recalculates in place instead of reloading the page
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    refresh();
  });
  // "How is this calculated?" opens the details it points to
  document.querySelectorAll("[data-open-details]").forEach((link) => {
    link.addEventListener("click", () => {
      const target = document.querySelector(link.getAttribute("href"));
      if (target) target.open = true;
    });
  });
  window.renewLiveQuote = true; // the page is enhanced (tests check it survives a change)
})();
