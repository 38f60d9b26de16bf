// The agent panel: sign in with a token, follow the current call, request a payment and
// watch the caller's steps live. Plain JS on purpose: nothing to build, nothing to fetch.
// The token lives in sessionStorage (a reload keeps it, closing the tab forgets it) and
// only ever travels in the Authorization header or the event stream's first message.
"use strict";

const TOKEN_KEY = "securepay.token";
const STEPS = ["amount", "card_number", "expiry", "cvc", "postal_code", "processing"];
const FIELDS = ["card_number", "expiry", "cvc", "postal_code"];
const STEP_NAMES = {
  amount: "Amount confirmation",
  card_number: "Card number",
  expiry: "Expiry date",
  cvc: "CVC",
  postal_code: "ZIP code",
  processing: "Processing",
};
const STATUS_WORDS = { waiting: "Waiting", entering: "Entering…", completed: "Done", failed: "Failed" };
const STEP_ERRORS = {
  "card-invalid": "not a valid card number",
  "card-not-accepted": "card brand not accepted",
  "card-expired": "card expired",
  "expiry-invalid": "not a valid date",
  "cvc-invalid": "not a valid CVC",
  "postal-code-invalid": "not a valid ZIP code",
  "reenter-requested": "you asked to re-enter",
  "invalid-card-number": "not a valid card number",
  "card-type-not-accepted": "card brand not accepted",
  "invalid-expiry": "not a valid date",
  "invalid-cvc": "not a valid CVC",
  "invalid-postal-code": "not a valid ZIP code",
  declined: "card declined",
  "amount-declined": "amount not confirmed",
  "caller-cancelled": "caller cancelled",
  "agent-cancelled": "you cancelled",
  "too-many-failed-attempts": "too many invalid entries",
  "input-timeout": "no entry in time",
  "caller-hung-up": "caller hung up",
  "gateway-error": "payment service error",
  "internal-error": "internal error",
};
const OUTCOMES = {
  success: "Payment successful",
  declined: "The card was declined.",
  "amount-declined": "The caller did not confirm the amount.",
  "caller-cancelled": "The caller cancelled the payment.",
  "too-many-failed-attempts": "The caller made too many invalid entries.",
  "input-timeout": "The caller did not enter anything in time.",
  "caller-hung-up": "The caller hung up.",
  "agent-cancelled": "You cancelled the payment.",
  "gateway-error": "The payment service did not answer. Check the transaction before trying again.",
  "internal-error": "Something went wrong in SecurePay. The caller is back with you.",
};
const CLOSE_REASONS = {
  4401: "Your token is no longer accepted. Sign in again.",
  4403: "This token may not follow this agent.",
  4404: "This agent is not configured.",
};
const RETRY_MAX_MS = 10000;
const UNREACHABLE = "SecurePay cannot be reached. Check your connection.";

const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  me: null,
  call: null,
  payment: null,
  socket: null,
  retryMs: 1000,
  retryTimer: null,
  cancelling: false,
  submitting: false,
};

// ---- HTTP -------------------------------------------------------------------------

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { status: response.status, data: data || {}, retryAfter: response.headers.get("Retry-After") };
}

function refusal(result) {
  if (result.status === 429) return `Too many failed sign-ins. Try again in ${result.retryAfter || 60} seconds.`;
  return sentence(result.data.message || `Unexpected answer (${result.status}).`);
}

// ---- sign in / out ---------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  let result;
  try {
    result = await api("GET", "/api/v1/me");
  } catch {
    return UNREACHABLE;
  }
  if (result.status === 401) return "That token was not accepted.";
  if (result.status !== 200) return refusal(result);
  if (result.data.role !== "agent") return "This panel is for agents: sign in with an agent token.";
  state.me = result.data;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("agent-name").textContent = state.me.name;
  $("sign-in").hidden = true;
  $("desk").hidden = false;
  $("session").hidden = false;
  connect();
  return null;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(state.retryTimer);
  if (state.socket) {
    state.socket.onclose = null;
    state.socket.close(1000);
  }
  Object.assign(state, { token: null, me: null, call: null, payment: null, socket: null });
  $("desk").hidden = true;
  $("session").hidden = true;
  $("sign-in").hidden = false;
  $("token").value = "";
  showFieldError("token", message || "");
  closeRequest(false);
  $("token").focus();
}

// ---- the event stream -------------------------------------------------------------

function connect() {
  clearTimeout(state.retryTimer);
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/api/v1/events`);
  state.socket = socket;
  setLink(state.retryMs > 1000 ? "reconnecting" : "connecting");
  socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token: state.token }));
  socket.onmessage = (message) => receive(JSON.parse(message.data));
  socket.onclose = (event) => {
    if (state.socket !== socket) return;
    state.socket = null;
    if (event.code === 4401 || event.code === 4403 || event.code === 4404) {
      signOut(CLOSE_REASONS[event.code]);
      return;
    }
    setLink("reconnecting");
    const wait = event.code === 4429 ? RETRY_MAX_MS : state.retryMs;
    state.retryMs = Math.min(state.retryMs * 2, RETRY_MAX_MS);
    state.retryTimer = setTimeout(connect, wait);
  };
}

function receive(message) {
  switch (message.type) {
    case "snapshot":
      state.retryMs = 1000;
      setLink("live");
      state.call = message.call;
      state.payment = message.payment ? fromSnapshot(message.payment) : null;
      render();
      break;
    case "call":
      state.call = message.call;
      if (state.call && state.payment && state.payment.call_id !== state.call.id) state.payment = null;
      if (!state.call) closeRequest(false);
      render();
      break;
    case "payment.requested":
      state.payment = {
        id: message.payment_id,
        call_id: message.call_id,
        item: message.item,
        amount: message.amount,
        currency: message.currency,
        mode: message.mode,
        steps: Object.fromEntries(STEPS.map((step) => [step, { status: "waiting", attempt: 1, error: null }])),
        fields: {},
        outcome: null,
        seq: message.seq,
      };
      state.cancelling = false;
      state.submitting = false;
      render();
      break;
    case "payment.step":
    case "payment.entry":
    case "payment.cancelled":
    case "payment.result":
      applyEvent(message);
      break;
    default:
      break;
  }
}

function fromSnapshot(snapshot) {
  const steps = {};
  for (const step of STEPS) steps[step] = { status: snapshot.steps[step], attempt: 1, error: null };
  return {
    id: snapshot.id,
    call_id: snapshot.call_id,
    item: snapshot.item,
    amount: snapshot.amount,
    currency: snapshot.currency,
    mode: snapshot.mode,
    steps,
    fields: { ...snapshot.fields },
    outcome: snapshot.outcome,
    reason: snapshot.reason,
    transaction_id: snapshot.transaction_id,
    brand: snapshot.brand,
    last4: snapshot.last4,
    seq: 0,
  };
}

function applyEvent(event) {
  const payment = state.payment;
  if (!payment || payment.id !== event.payment_id || event.seq <= payment.seq) return;
  payment.seq = event.seq;
  if (event.type === "payment.step") {
    const before = payment.steps[event.step].status;
    payment.steps[event.step] = { status: event.status, attempt: event.attempt, error: event.error };
    if (before !== event.status || event.error) announce(`${STEP_NAMES[event.step]}: ${stepWords(event)}`);
  } else if (event.type === "payment.entry") {
    payment.fields[event.step] = event;
  } else if (event.type === "payment.cancelled") {
    state.cancelling = true;
  } else {
    Object.assign(payment, {
      outcome: event.outcome,
      reason: event.reason,
      transaction_id: event.transaction_id,
      brand: event.brand,
      last4: event.last4,
    });
    announce(resultTitle(payment) + ". " + resultDetail(payment));
  }
  render();
}

// ---- the request form -------------------------------------------------------------

function openRequest() {
  closeMenu(false);
  $("request").hidden = false;
  $(`mode-${state.me.default_mode}`).checked = true;
  $("currency").textContent = state.me.currency;
  $("amount-hint").textContent = `Including tax and shipping; at most ${money(state.me.max_amount, state.me.currency)}.`;
  $("item").focus();
}

function closeRequest(focusActions) {
  $("request").hidden = true;
  $("request-form").reset();
  for (const field of ["item", "amount"]) showFieldError(field, "");
  $("request-error").textContent = "";
  if (focusActions) $("actions").focus();
}

async function sendToPay(event) {
  event.preventDefault();
  const item = $("item").value.trim();
  const amount = $("amount").value.trim().replace(/^\$\s*/, "");
  const mode = document.querySelector('input[name="mode"]:checked').value;
  showFieldError("item", item ? "" : "Enter the item name.");
  showFieldError("amount", amount ? "" : "Enter the total amount.");
  $("request-error").textContent = "";
  if (!item || !amount) {
    $(item ? "amount" : "item").focus();
    return;
  }
  if (!state.call) {
    $("request-error").textContent = "There is no call to take a payment on.";
    return;
  }
  $("send").disabled = true;
  $("send").textContent = "Sending…";
  let result;
  try {
    result = await api("POST", `/api/v1/calls/${encodeURIComponent(state.call.id)}/payments`, { item, amount, mode });
  } catch {
    result = { status: 0, data: { message: "SecurePay cannot be reached. Try again." } };
  }
  $("send").disabled = false;
  $("send").textContent = "Send to Pay";
  if (result.status === 201) {
    closeRequest(false);
    if (!state.payment || state.payment.id !== result.data.id) state.payment = fromSnapshot(result.data);
    state.cancelling = false;
    state.submitting = false;
    render();
    $("payment-title").focus();
    return;
  }
  if (result.status === 401) {
    signOut("Your token is no longer accepted. Sign in again.");
    return;
  }
  const field = result.data.field;
  if (result.status === 422 && (field === "item" || field === "amount")) {
    showFieldError(field, sentence(result.data.message));
    $(field).focus();
  } else {
    $("request-error").textContent = sentence(result.data.message || `Unexpected answer (${result.status}).`);
  }
}

function showFieldError(field, message) {
  $(`${field}-error`).textContent = message;
  if (message) $(field).setAttribute("aria-invalid", "true");
  else $(field).removeAttribute("aria-invalid");
}

async function cancelPayment() {
  $("cancel-payment").disabled = true;
  const result = await control("DELETE", "");
  if (result && result.status === 202) state.cancelling = true;
  render();
}

// Assisted mode: the agent has the caller key one field again, or submits the charge.
async function restartField(field) {
  await control("POST", `/fields/${field}/restart`);
  render();
}

async function submitPayment() {
  $("submit-payment").disabled = true;
  state.submitting = true;
  const result = await control("POST", "/submit");
  if (!result || result.status !== 202) state.submitting = false;
  render();
}

async function control(method, suffix) {
  const payment = state.payment;
  if (!payment) return null;
  $("payment-error").textContent = "";
  let result;
  try {
    result = await api(method, `/api/v1/payments/${encodeURIComponent(payment.id)}${suffix}`);
  } catch {
    result = { status: 0, data: { message: "SecurePay cannot be reached. Try again." } };
  }
  if (result.status !== 202 && result.data.error !== "payment-finished") {
    $("payment-error").textContent = sentence(result.data.message || `Unexpected answer (${result.status}).`);
  }
  return result;
}

// ---- the actions menu ------------------------------------------------------------

function toggleMenu() {
  if ($("actions-menu").hidden) openMenu();
  else closeMenu(true);
}

function openMenu() {
  $("actions-menu").hidden = false;
  $("actions").setAttribute("aria-expanded", "true");
  $("menu-request").focus();
}

function closeMenu(focusButton) {
  $("actions-menu").hidden = true;
  $("actions").setAttribute("aria-expanded", "false");
  if (focusButton) $("actions").focus();
}

// ---- rendering ---------------------------------------------------------------------

function render() {
  renderCall();
  renderPayment();
}

function renderCall() {
  const call = state.call;
  $("call-none").hidden = Boolean(call);
  $("call-facts").hidden = !call;
  const running = Boolean(state.payment && !state.payment.outcome);
  $("actions").disabled = !call || !call.connected || running;
  if (!call) return;
  $("call-id").textContent = call.id;
  $("call-status").textContent = running ? "In payment" : call.connected ? "Connected" : "Ringing";
  $("call-since").textContent = call.started_at
    ? new Date(call.started_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : "—";
  $("call-crm").textContent = call.crm_record_id || "—";
}

function renderPayment() {
  const payment = state.payment;
  $("payment").hidden = !payment;
  if (!payment) return;
  $("payment-title").textContent = payment.outcome ? "Payment" : "Payment in progress";
  $("payment-title").tabIndex = -1;
  $("payment-amount").textContent = money(payment.amount, payment.currency);
  $("payment-item").textContent = payment.item;
  for (const step of STEPS) {
    const row = document.querySelector(`[data-step="${step}"]`);
    const info = payment.steps[step];
    row.dataset.status = info.status;
    row.querySelector(".state").textContent = stepWords(info);
  }
  const running = !payment.outcome;
  renderFields(payment, running);
  $("cancel-payment").hidden = !running;
  $("cancel-payment").disabled = state.cancelling;
  $("cancel-payment").textContent = state.cancelling ? "Cancelling…" : "Cancel payment";
  if (!running) $("payment-error").textContent = "";
  $("result").hidden = running;
  if (running) return;
  $("result").dataset.kind = payment.outcome === "success" ? "success" : "failure";
  $("result-title").textContent = resultTitle(payment);
  $("result-detail").textContent = resultDetail(payment);
  $("result-txn").hidden = !payment.transaction_id;
  $("result-txn-id").textContent = payment.transaction_id || "";
}

// The caller's entries as bullets (the last four of a complete card number at most) and the
// brand as soon as the card's first digits tell it; in assisted mode, Re-enter and Submit.
function renderFields(payment, running) {
  const assisted = payment.mode === "assisted";
  const charging = payment.steps.processing.status !== "waiting";
  $("payment-mode").hidden = !assisted;
  for (const field of FIELDS) {
    const waiting = payment.steps[field].status === "waiting";
    const entry = waiting ? null : payment.fields[field];
    const brand = entry && entry.brand ? `${titleCase(entry.brand)} ` : "";
    $(`value-${field}`).textContent = entry ? `${brand}${entry.masked}`.trim() : "";
    const button = document.querySelector(`[data-restart="${field}"]`);
    button.hidden = !assisted || !running;
    button.disabled = charging || state.cancelling || waiting;
  }
  const ready = FIELDS.every((field) => payment.steps[field].status === "completed");
  $("submit-payment").hidden = !assisted || !running;
  $("submit-payment").disabled = !ready || charging || state.cancelling || state.submitting;
  $("submit-payment").textContent = charging || state.submitting ? "Submitting…" : "Submit payment";
}

function stepWords(info) {
  const problem = info.error ? STEP_ERRORS[info.error] || info.error.replaceAll("-", " ") : null;
  if (info.status === "entering" && problem) return `Re-entering: ${problem}`;
  if (info.status === "failed" && problem) return `Failed: ${problem}`;
  return STATUS_WORDS[info.status] || info.status;
}

function resultTitle(payment) {
  if (payment.outcome === "success") return "Payment successful";
  if (payment.outcome === "agent-cancelled" || payment.outcome === "caller-cancelled") return "Payment cancelled";
  return "Payment failed";
}

function resultDetail(payment) {
  if (payment.outcome !== "success") return OUTCOMES[payment.outcome] || "The payment did not go through.";
  const card = payment.brand ? ` to ${titleCase(payment.brand)} ending ${payment.last4}` : "";
  return `${money(payment.amount, payment.currency)} charged${card}.`;
}

function setLink(kind) {
  const words = { live: "Live", connecting: "Connecting…", reconnecting: "Reconnecting…" };
  $("link").dataset.state = kind;
  $("link").textContent = words[kind];
}

function announce(text) {
  $("announcer").textContent = text;
}

function money(amount, currency) {
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(Number(amount));
  } catch {
    return `${amount} ${currency}`;
  }
}

function titleCase(word) {
  const names = { amex: "American Express", mastercard: "Mastercard", visa: "Visa", discover: "Discover" };
  return names[word] || word.charAt(0).toUpperCase() + word.slice(1);
}

function sentence(text) {
  const clean = String(text).trim();
  return clean.charAt(0).toUpperCase() + clean.slice(1) + (/[.!?]$/.test(clean) ? "" : ".");
}

// ---- wiring --------------------------------------------------------------------------

function wire() {
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (!token) {
      showFieldError("token", "Enter your token.");
      return;
    }
    $("sign-in-button").disabled = true;
    const problem = await signIn(token);
    $("sign-in-button").disabled = false;
    if (problem) {
      state.token = null;
      showFieldError("token", problem);
      $("token").focus();
    }
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("actions").addEventListener("click", toggleMenu);
  $("actions").addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      openMenu();
    }
  });
  $("menu-request").addEventListener("click", openRequest);
  $("request-close").addEventListener("click", () => closeRequest(true));
  $("request-form").addEventListener("submit", sendToPay);
  $("cancel-payment").addEventListener("click", cancelPayment);
  $("submit-payment").addEventListener("click", submitPayment);
  for (const button of document.querySelectorAll("[data-restart]")) {
    button.addEventListener("click", () => restartField(button.dataset.restart));
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (!$("actions-menu").hidden) closeMenu(true);
    else if (!$("request").hidden) closeRequest(true);
  });
  document.addEventListener("click", (event) => {
    if (!$("actions-menu").hidden && !event.target.closest(".menu")) closeMenu(false);
  });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) resume(saved);
  else $("token").focus();
}

// A reload while the daemon restarts keeps the session: try again until it answers.
async function resume(token) {
  const problem = await signIn(token);
  if (problem === UNREACHABLE && !state.me) {
    showFieldError("token", `${UNREACHABLE} Retrying…`);
    setTimeout(() => state.me || resume(token), 3000);
  } else if (problem) {
    signOut(problem);
  }
}

wire();
