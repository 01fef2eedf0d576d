// The sale page: server-time countdown, a button that wakes at the start and rests after
// each press, the captcha just before the start (and whenever the server asks for one: the purchase is
// then sent again with the same requestId and the token), the honest outcome, and then the order's life:
// amount, the time left to pay (server clock), Pay and Cancel, expiry and refunds, followed live
// over the order's event stream (polling when the stream is not there). No framework, no other host.
(() => {
  'use strict';
  const COOLDOWN_MS = 5000;       // grey for 5 s after a press (a double click is one purchase)
  const CAPTCHA_LEAD_MS = 5000;   // the question appears five seconds before the start
  const CAPTCHA_RETRY_MS = 2000;  // a challenge the server did not hand out is asked for again after this
  const POLL_MS = 2000;           // the order is polled this often while its event stream is unavailable
  const STREAM_RETRY_MS = [1000, 2000, 4000, 8000, 15000, 30000]; // backoff between stream attempts
  const STREAM_MISSING_RETRY_MS = 30000; // a server without the stream (404) is asked again this rarely
  const STREAM_SILENCE_MS = 45000; // three missed keep-alives: the connection is dead, reconnect
  const CANCEL_ARM_MS = 4000;     // "Cancel order" needs a second press within this time
  const CURRENCY_SIGNS = { CNY: '¥' };
  const CURRENCY = 'CNY';         // the server's FlashSale:Payments:Currency
  const $ = (id) => document.getElementById(id);
  const saleId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');
  const store = window.sessionStorage; // per window: two windows can be two users

  let sale = null;
  let offsetMs = 0;
  let coolingUntil = 0;
  let busy = false;
  let finished = false;
  let pendingRequestId = null;
  let purchaseToken = null;
  let captchaAsked = false;
  let captchaRetryAt = 0;  // performance.now() before which no challenge is asked for again
  let redeeming = false;   // an answer is on its way: a challenge takes one answer
  let challenged = false;  // the server asked for a captcha on pendingRequestId: retry it once the token is in
  let order = null;       // the followed order as the server last showed it
  let watch = null;       // the following of that order: { orderId, stopped, controller }
  let acting = null;      // 'pay' or 'cancel' while that call is in flight
  let cancelArmedUntil = 0;

  const serverNow = () => Date.now() + offsetMs;
  const userToken = () => store.getItem('fs.token');

  async function api(path, { method = 'GET', body } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = userToken();
    if (token) headers.Authorization = 'Bearer ' + token;
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    let json = null;
    try { json = await response.json(); } catch { /* empty body */ }
    return { status: response.status, body: json };
  }

  // The offset to the server's clock, from the sample with the shortest round trip: the local clock may be
  // minutes off, and one slow sample must not move the start by its delay.
  async function syncClock() {
    let best = null;
    for (let i = 0; i < 3; i++) {
      const sent = performance.now();
      const { body } = await api('/api/time');
      const rtt = performance.now() - sent;
      const offset = body.epochMs + rtt / 2 - Date.now();
      if (!best || rtt < best.rtt) best = { rtt, offset };
    }
    offsetMs = best.offset;
    $('countdown').dataset.offsetMs = String(Math.round(offsetMs));
  }

  function pad(n) { return String(n).padStart(2, '0'); }
  function formatRemaining(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h > 0 ? pad(h) + ':' : '') + pad(m) + ':' + pad(sec);
  }

  const money = (amount) => (CURRENCY_SIGNS[CURRENCY] || CURRENCY + ' ')
    + Number(amount).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function say(text, outcome) {
    $('outcome').textContent = text;
    $('outcome').dataset.outcome = outcome;
  }

  function render() {
    if (!sale) return;
    const now = serverNow();
    const starts = Date.parse(sale.startsAt), ends = Date.parse(sale.endsAt);
    const countdown = $('countdown');
    let open = false;
    if (now < starts) {
      countdown.textContent = 'Starts in ' + formatRemaining(starts - now);
      countdown.dataset.remainingMs = String(Math.round(starts - now));
      $('sale').dataset.state = 'upcoming';
    } else if (now >= ends) {
      countdown.textContent = 'Ended';
      countdown.dataset.remainingMs = '0';
      $('sale').dataset.state = 'ended';
    } else {
      countdown.textContent = sale.remaining > 0 ? 'On sale now' : 'Sold out';
      countdown.dataset.remainingMs = '0';
      $('sale').dataset.state = 'active';
      open = true;
    }
    // A token is wanted when the sale requires one, or when the server asked for one (risk) on the last purchase.
    const wantsToken = (sale.gatewayRules && sale.gatewayRules.requireToken) || challenged;
    if (wantsToken && !purchaseToken && userToken() && now >= starts - CAPTCHA_LEAD_MS && now < ends && !captchaAsked && performance.now() >= captchaRetryAt) {
      askCaptcha();
    }
    const needsToken = wantsToken && !purchaseToken;
    // An order that holds the whole per-person limit leaves nothing to buy until it is cancelled.
    const holdsLimit = order !== null && ['queued', 'pending_payment', 'paid'].includes(order.status) && order.quantity >= sale.perUserLimit;
    $('buy').disabled = !open || !userToken() || busy || finished || holdsLimit || needsToken || performance.now() < coolingUntil;
    $('buy').textContent = order && (order.status === 'cancelled' || order.status === 'failed') ? 'Buy again' : 'Buy now';
    renderPayClock();
  }

  // The time left to pay, by the server's clock (the deadline is the server's; the local clock may be off).
  function renderPayClock() {
    const pending = order !== null && order.status === 'pending_payment' && !!order.paymentDeadline;
    $('pay-deadline').hidden = !pending;
    $('order-actions').hidden = !pending;
    if (!pending) return;
    const left = Date.parse(order.paymentDeadline) - serverNow();
    $('pay-countdown').textContent = formatRemaining(left);
    $('pay-deadline').dataset.remainingMs = String(Math.max(0, Math.round(left)));
    $('pay-deadline').toggleAttribute('data-late', left <= 0);
    if (left <= 0 && $('order-status').dataset.note !== 'late') {
      $('order-status').textContent = 'Time is up — the order is being cancelled';
      $('order-status').dataset.note = 'late';
    }
    const providerPending = order.payment && order.payment.status === 'pending';
    $('pay').disabled = !!acting || left <= 0 || !!providerPending;
    $('pay').textContent = acting === 'pay' ? 'Paying…' : providerPending ? 'Waiting for the payment…' : 'Pay ' + money(order.amount);
    const armed = performance.now() < cancelArmedUntil;
    $('cancel-order').toggleAttribute('data-armed', armed);
    $('cancel-order').textContent = armed ? 'Press again to cancel' : 'Cancel order';
    $('cancel-order').disabled = !!acting;
  }

  async function loadSale() {
    const { status, body } = await api('/api/sales/' + encodeURIComponent(saleId));
    if (status !== 200) { $('name').textContent = 'No such sale'; say(body && body.detail || 'This sale does not exist.', 'error'); return; }
    const first = sale === null;
    sale = body;
    if (first) {
      $('name').textContent = sale.name;
      $('price').textContent = money(sale.price);
      $('product').textContent = sale.productId;
      $('stock').textContent = sale.stock;
      $('limit').textContent = sale.perUserLimit;
      document.title = sale.name + ' · FlashSale';
    }
    $('remaining').textContent = sale.remaining;
    const outcome = $('outcome').dataset.outcome;
    if (sale.state === 'sold_out' && !finished && !['won', 'queued', 'paid'].includes(outcome)) {
      say('Sold out', 'sold_out');
    } else if (sale.state === 'active' && outcome === 'sold_out') {
      // An unpaid order expired (or was cancelled) and its unit is for sale again.
      finished = false;
      say('Back on sale', 'back');
    }
    render();
  }

  async function askCaptcha() {
    if (captchaAsked) return;
    captchaAsked = true;
    let answer;
    try { answer = await api('/api/sales/' + encodeURIComponent(saleId) + '/challenge', { method: 'POST', body: {} }); } catch { answer = { status: 0 }; }
    const { status, body } = answer;
    if (status !== 200) { captchaAsked = false; captchaRetryAt = performance.now() + CAPTCHA_RETRY_MS; return; }
    $('captcha').hidden = false;
    $('question').textContent = body.question;
    $('captcha-form').dataset.challengeId = body.challengeId;
    $('answer').focus();
  }

  // Each challenge takes one answer, right or wrong: after a wrong one (or a lost one) the page asks for a new challenge.
  $('captcha-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (redeeming) return;
    redeeming = true;
    let redeemed;
    try {
      redeemed = await api('/api/sales/' + encodeURIComponent(saleId) + '/token', {
        method: 'POST', body: { challengeId: $('captcha-form').dataset.challengeId, answer: $('answer').value },
      });
    } catch {
      redeemed = { status: 0 };
    }
    redeeming = false;
    if (redeemed.status === 200) {
      purchaseToken = redeemed.body.token;
      $('captcha').hidden = true;
      $('captcha-state').textContent = '';
      if (challenged && pendingRequestId) {
        challenged = false;
        buy(); // the purchase the server challenged, again: the same requestId, now with the token
      }
    } else {
      $('captcha-state').textContent = redeemed.status === 0 ? 'Network trouble — here is another one.' : 'Not quite — here is another one.';
      $('answer').value = '';
      captchaAsked = false;
      askCaptcha();
    }
    render();
  });

  async function buy() {
    if (busy) return;
    busy = true;
    coolingUntil = performance.now() + COOLDOWN_MS;
    setTimeout(render, COOLDOWN_MS + 20);
    render();
    // Keep the requestId until a final answer: a retry after a timeout must not buy twice.
    pendingRequestId = pendingRequestId || (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now());
    say('Queued…', 'queued');
    try {
      const { status, body } = await api('/api/sales/' + encodeURIComponent(saleId) + '/purchase', {
        method: 'POST', body: { quantity: 1, requestId: pendingRequestId, token: purchaseToken },
      });
      const code = body && body.code;
      if (status === 202) {
        pendingRequestId = null;
        say('Queued… order ' + body.orderId, 'queued');
        watchOrder(body.orderId);
      } else if (code === 'sold_out' || code === 'ended') {
        pendingRequestId = null; finished = true; say(code === 'sold_out' ? 'Sold out' : 'The sale has ended', 'sold_out');
      } else if (code === 'limit_exceeded') {
        pendingRequestId = null; finished = true; say('Limit reached: you already have your share', 'limit');
      } else if (code === 'not_started') {
        say('Not started yet — wait for the countdown', 'retry');
      } else if (code === 'invalid_token' || (body && body.challenge === true)) {
        // The sale or the risk score wants a captcha (the token is missing, spent or stale): show a fresh challenge;
        // its token finishes this purchase with the same requestId.
        purchaseToken = null; challenged = true; captchaAsked = false;
        say('One more step: answer the question to finish your purchase', 'challenge');
        askCaptcha();
      } else if (status === 401) {
        say('Please sign in again', 'retry');
      } else if (code === 'blacklisted' || code === 'risk_rejected') {
        pendingRequestId = null; finished = true; say('This purchase was refused', 'refused');
      } else {
        say('Busy — try again in a moment', 'retry');
      }
    } catch {
      say('Network trouble — try again', 'retry');
    } finally {
      busy = false;
      render();
    }
  }

  // ---- The order after the 202 -------------------------------------------------------------------

  function showOrder(o) {
    if (!o || !watch || o.orderId !== watch.orderId) return; // an answer about an order no longer followed
    order = o;
    const id = o.orderId;
    $('outcome').dataset.orderId = id;
    $('order').hidden = o.status === 'queued';
    $('order').dataset.status = o.status;
    $('order-id').textContent = id;
    $('order-amount').textContent = money(o.amount !== undefined ? o.amount : sale.price * o.quantity);
    const status = $('order-status');
    delete status.dataset.note;
    if (o.status === 'queued') {
      say('Queued… order ' + id, 'queued');
    } else if (o.status === 'pending_payment') {
      say('You got it! Order ' + id, 'won');
      status.textContent = o.payment && o.payment.status === 'pending' ? 'Payment started — waiting for the provider' : 'Waiting for your payment';
    } else if (o.status === 'paid') {
      say('Paid — order ' + id, 'paid');
      status.textContent = 'Paid' + (o.paidAt ? ' at ' + new Date(o.paidAt).toLocaleString() : '');
    } else if (o.status === 'cancelled') {
      finished = false; // the units and the quota are back: buying again is allowed while the sale lasts
      if (o.cancelReason === 'timeout') {
        say('Expired — the item went back on sale', 'expired');
        status.textContent = 'Not paid in time: cancelled';
      } else {
        say(o.cancelReason === 'admin' ? 'The shop cancelled this order' : 'You cancelled this order', 'cancelled');
        status.textContent = o.cancelReason === 'admin' ? 'Cancelled by the shop' : 'Cancelled by you';
      }
    } else if (o.status === 'failed') {
      finished = false;
      say('Sorry — the order failed; your quota is back', 'failed');
      status.textContent = 'Failed';
    }
    const refund = $('refund');
    refund.hidden = !o.refund;
    refund.dataset.refund = o.refund ? o.refund.status : '';
    if (o.refund) {
      refund.textContent = (o.refund.status === 'refunded' ? 'Refunded ' : 'Refund pending: ') + money(o.refund.amount);
    }
    render();
  }

  // Worth following: it can still change in a way the buyer must see.
  function unsettled(o) {
    if (!o || o.status === 'queued' || o.status === 'pending_payment') return true;
    if (o.refund) return o.refund.status === 'refund_pending';
    return o.status === 'cancelled' && !!o.payment && o.payment.status === 'pending'; // a late payment becomes a refund
  }

  // The server ends an order's stream on these; a refund still to come is then polled.
  const finalStatus = (o) => !!o && (o.status === 'paid' || o.status === 'cancelled' || o.status === 'failed');

  function stopWatching() {
    if (watch) { watch.stopped = true; watch.controller.abort(); }
    watch = null;
    order = null;
    $('order').hidden = true;
    $('order').dataset.live = '';
  }

  function watchOrder(orderId) {
    stopWatching();
    store.setItem('fs.order.' + saleId, orderId);
    const w = { orderId, stopped: false, controller: new AbortController() };
    watch = w;
    follow(w);
  }

  const pause = (ms, w) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    w.controller.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

  // The event stream first; while it is unavailable (an older server: 404; network trouble; 5xx), GET every
  // POLL_MS and try the stream again after a growing pause.
  async function follow(w) {
    let failures = 0;
    let streamAt = 0; // performance.now() from which the stream may be tried again
    while (!w.stopped && (order === null || unsettled(order))) {
      if (!finalStatus(order) && performance.now() >= streamAt) {
        const result = await streamOrder(w);
        if (w.stopped) return;
        if (result === 'signed_out') { say('Please sign in again', 'retry'); return; }
        if (result === 'ended') { // closed after events: done when settled, else reconnect after a breath
          failures = 0;
          if (unsettled(order) && !finalStatus(order)) await pause(STREAM_RETRY_MS[0], w);
          continue;
        }
        failures++;
        streamAt = performance.now() + (result === 'missing' ? STREAM_MISSING_RETRY_MS : STREAM_RETRY_MS[Math.min(failures, STREAM_RETRY_MS.length) - 1]);
      }
      $('order').dataset.live = 'poll';
      if (await pollOrder(w) === 'stop') return;
      await pause(POLL_MS, w);
    }
  }

  async function pollOrder(w) {
    try {
      const { status, body } = await api('/api/orders/' + encodeURIComponent(w.orderId));
      if (w.stopped) return 'stop';
      if (status === 200) showOrder(body);
      else if (status === 404) { stopWatching(); say('This order is not yours or does not exist', 'error'); return 'stop'; }
      else if (status === 401) { say('Please sign in again', 'retry'); return 'stop'; }
    } catch { /* network trouble: the next poll tries again */ }
    return 'go';
  }

  // One connection to GET /api/orders/{id}/events, read with fetch (EventSource cannot send the bearer token).
  // Answers 'ended' (the server closed it after sending events), 'missing' (no such stream here), 'failed' or 'signed_out'.
  async function streamOrder(w) {
    const silence = new AbortController();
    const abort = () => silence.abort();
    w.controller.signal.addEventListener('abort', abort, { once: true });
    let timer = setTimeout(abort, STREAM_SILENCE_MS);
    let events = 0;
    try {
      const response = await fetch('/api/orders/' + encodeURIComponent(w.orderId) + '/events', {
        headers: { Accept: 'text/event-stream', Authorization: 'Bearer ' + userToken() }, cache: 'no-store', signal: silence.signal,
      });
      if (response.status === 401) return 'signed_out';
      const type = response.headers.get('Content-Type') || '';
      if (!response.ok || !type.startsWith('text/event-stream') || !response.body) {
        return response.status === 404 || response.status === 405 || response.ok ? 'missing' : 'failed';
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '', event = '', data = [];
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        clearTimeout(timer);
        timer = setTimeout(abort, STREAM_SILENCE_MS);
        buffer += value;
        let end;
        while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
          if (line === '') { // a blank line ends an event
            if ((event || 'message') === 'status' && data.length) {
              events++;
              $('order').dataset.live = 'stream';
              showOrder(JSON.parse(data.join('\n')));
            }
            event = ''; data = [];
          } else if (!line.startsWith(':')) { // ':' starts a comment (the keep-alive)
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            let text = colon < 0 ? '' : line.slice(colon + 1);
            if (text.startsWith(' ')) text = text.slice(1);
            if (field === 'event') event = text;
            else if (field === 'data') data.push(text);
          }
        }
      }
      return events > 0 ? 'ended' : 'failed';
    } catch {
      return 'failed';
    } finally {
      clearTimeout(timer);
      w.controller.signal.removeEventListener('abort', abort);
    }
  }

  // Pay or cancel the followed order; the buttons rest while the call is in flight.
  async function act(action) {
    acting = action;
    cancelArmedUntil = 0;
    render();
    let problem;
    try { problem = await orderAction(action); } catch { problem = 'Network trouble — try again'; }
    acting = null;
    if (problem) $('order-status').textContent = problem;
    render();
  }

  async function orderAction(action) {
    const { status, body } = await api('/api/orders/' + encodeURIComponent(order.orderId) + '/' + action, { method: 'POST', body: {} });
    if (status === 200 || status === 202) { showOrder(body); return null; }
    const code = body && body.code;
    if (code === 'already_paid' || code === 'order_not_payable' || code === 'order_paid' || code === 'order_failed') {
      if (watch) await pollOrder(watch); // the order moved on: show where it is
      return null;
    }
    if (code === 'payment_declined') return 'Payment declined — you can try again before the deadline';
    if (code === 'order_queued') return 'The order is still being written — try again in a moment';
    if (status === 401) return 'Please sign in again';
    return 'That did not go through — try again';
  }

  $('pay').addEventListener('click', () => {
    if (order && !acting) act('pay');
  });

  $('cancel-order').addEventListener('click', () => {
    if (!order || acting) return;
    if (performance.now() < cancelArmedUntil) { act('cancel'); return; }
    cancelArmedUntil = performance.now() + CANCEL_ARM_MS; // first press: ask for a second one
    setTimeout(render, CANCEL_ARM_MS + 20);
    render();
  });

  function showUser() {
    const user = store.getItem('fs.user');
    $('signin-form').hidden = !!user;
    $('signed-in').hidden = !user;
    $('who').textContent = user || '';
    render();
  }

  $('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const userId = $('user-id').value.trim();
    const { status, body } = await api('/api/dev/token', { method: 'POST', body: { userId } });
    if (status === 200) {
      store.setItem('fs.token', body.token);
      store.setItem('fs.user', userId);
    } else {
      say(status === 404 ? 'Dev sign-in is off on this server.' : (body && body.detail) || 'Sign-in failed', 'error');
    }
    showUser();
  });
  $('signout').addEventListener('click', (e) => {
    e.preventDefault();
    store.removeItem('fs.token'); store.removeItem('fs.user'); store.removeItem('fs.order.' + saleId);
    stopWatching();
    purchaseToken = null; finished = false; captchaAsked = false; challenged = false;
    $('captcha').hidden = true;
    say('', '');
    showUser();
  });
  $('buy').addEventListener('click', buy);

  (async () => {
    showUser();
    await syncClock();
    await loadSale();
    const followed = store.getItem('fs.order.' + saleId); // a reload keeps following this window's order
    if (followed && userToken()) watchOrder(followed);
    setInterval(render, 200);
    setInterval(loadSale, 2000);
  })();
})();
