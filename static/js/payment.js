// The payment page (templates/payments/pay.html) and the result page (result.html).
//
// Payment page: card, BLIK and Przelewy24 through Stripe.js (Stripe's own script with real keys,
// localstripe's stand-in locally; the page loads the right one before this file). Card: the
// PaymentMethod is made by Stripe.js, POSTed to the start URL, and the server confirms it; when
// the bank asks for 3-D Secure, Stripe.js finishes it here with the client secret. BLIK / P24:
// the server makes the PaymentIntent, Stripe.js confirms it (code / redirect). Then the result
// page, which polls the status URL until the payment is booked or refused.
// localstripe's stand-in has no createPaymentMethod (it answers undefined): there the card is
// tokenised (createToken) and its card id ("card_…"), which PaymentIntents accept like a
// PaymentMethod, is sent instead.
(() => {
  // --- result page: poll until the payment is booked or refused, then show it --------------------
  const waiting = document.querySelector("[data-payment-status-url]");
  if (waiting) {
    document.querySelectorAll("[data-needs-js]").forEach((el) => { el.hidden = true; });
    const url = waiting.dataset.paymentStatusUrl;
    let delay = 1000;
    const poll = async () => {
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (response.ok) {
          const body = await response.json();
          if (body.done) {
            window.location.reload(); // the server renders the final state
            return;
          }
        }
      } catch (err) {
        // offline for a moment: keep asking
      }
      delay = Math.min(delay * 1.3, 5000);
      window.setTimeout(poll, delay);
    };
    window.setTimeout(poll, 500);
  }

  // --- payment page -----------------------------------------------------------------------------
  const form = document.getElementById("pay-form");
  if (!form) return;
  document.querySelector("[data-pay-needs-js]").hidden = true;
  if (typeof window.Stripe !== "function") {
    document.querySelector("[data-pay-unavailable]").hidden = false;
    return;
  }
  form.hidden = false;

  const stripe = window.Stripe(form.dataset.stripeKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");

  const errorBox = form.querySelector("[data-pay-error]");
  const progress = form.querySelector("[data-pay-progress]");
  const progressText = form.querySelector("[data-progress-text]");
  const defaultProgress = progressText.textContent;
  const button = form.querySelector("[data-pay-button]");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

  const method = () => form.querySelector("input[name=method]:checked").value;

  function showPanel() {
    form.querySelectorAll("[data-panel]").forEach((panel) => {
      panel.hidden = panel.dataset.panel !== method();
    });
  }
  form.querySelectorAll("input[name=method]").forEach((input) => {
    input.addEventListener("change", () => { showError(null); showPanel(); });
  });
  showPanel();

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function busy(on, text) {
    progress.hidden = !on;
    progressText.textContent = text || defaultProgress;
    button.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  // Stripe's messages for card and validation errors are meant for the payer; others are not
  function cardMessage(error) {
    if (error && (error.type === "card_error" || error.type === "validation_error")
        && error.message) {
      return error.message;
    }
    return form.dataset.msgCardInvalid;
  }

  async function paymentMethodId() {
    const made = await stripe.createPaymentMethod({ type: "card", card });
    if (made && made.paymentMethod) return { id: made.paymentMethod.id };
    if (made && made.error) return { error: cardMessage(made.error) };
    // localstripe's stand-in: tokenise the card and use the card's id
    const tokenised = await stripe.createToken(card);
    if (tokenised && tokenised.token && tokenised.token.card) {
      return { id: tokenised.token.card.id };
    }
    return { error: cardMessage(tokenised && tokenised.error) };
  }

  async function start(fields) {
    const body = new URLSearchParams({ method: method(), ...fields });
    const response = await fetch(form.dataset.startUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      body,
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || form.dataset.msgFailed);
    return answer;
  }

  const go = (url) => { window.location.assign(url); };

  async function payByCard() {
    const made = await paymentMethodId();
    if (made.error) throw new Error(made.error);
    const saveCard = form.querySelector("[name=save_card]");
    const payment = await start({
      payment_method: made.id,
      save_card: saveCard && saveCard.checked ? "1" : "",
    });
    if (payment.status === "requires_action" && payment.client_secret) {
      // 3-D Secure: the bank's window; whatever its outcome, the result page syncs with Stripe
      busy(true, form.dataset.msgAuth);
      await stripe.confirmCardPayment(payment.client_secret);
    }
    go(payment.result_url);
  }

  async function payByBlik() {
    const code = form.querySelector("[name=blik_code]").value.replace(/\s+/g, "");
    if (!/^\d{6}$/.test(code)) throw new Error(form.dataset.msgBlikCode);
    const payment = await start({});
    if (payment.status === "failed") { go(payment.result_url); return; }
    busy(true, form.dataset.msgAuth);
    await stripe.confirmBlikPayment(payment.client_secret, {
      payment_method: { blik: {} },
      payment_method_options: { blik: { code } },
    });
    go(payment.result_url);
  }

  async function payByP24() {
    const payment = await start({});
    if (payment.status === "failed") { go(payment.result_url); return; }
    const result = await stripe.confirmP24Payment(payment.client_secret, {
      return_url: new URL(payment.result_url, window.location.href).href,
    });
    // on success Stripe.js has left for Przelewy24; an error comes back here
    if (result && result.error) go(payment.result_url);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    showError(null);
    busy(true);
    try {
      const chosen = method();
      if (chosen === "card") await payByCard();
      else if (chosen === "blik") await payByBlik();
      else await payByP24();
    } catch (err) {
      busy(false);
      showError((err && err.message) || form.dataset.msgFailed);
    }
  });
})();
