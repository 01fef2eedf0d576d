// The sale page: server-time countdown, a button that wakes at the start and rests after
// each press, the captcha just before the start, and the honest outcome. No framework, no other host.
(() => {
  'use strict';
  const COOLDOWN_MS = 5000;       // grey for 5 s after a press (a double click is one purchase)
  const CAPTCHA_LEAD_MS = 5000;   // the question appears five seconds before the start
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
    if (sale.gatewayRules && sale.gatewayRules.requireToken && !purchaseToken && userToken() && now >= starts - CAPTCHA_LEAD_MS && now < ends && !captchaAsked) {
      askCaptcha();
    }
    const needsToken = sale.gatewayRules && sale.gatewayRules.requireToken && !purchaseToken;
    $('buy').disabled = !open || !userToken() || busy || finished || needsToken || performance.now() < coolingUntil;
  }

  async function loadSale() {
    const { status, body } = await api('/api/sales/' + encodeURIComponent(saleId));
    if (status !== 200) { $('name').textContent = 'No such sale'; say(body && body.detail || 'This sale does not exist.', 'error'); return; }
    const first = sale === null;
    sale = body;
    if (first) {
      $('name').textContent = sale.name;
      $('price').textContent = '¥' + Number(sale.price).toFixed(2);
      $('product').textContent = sale.productId;
      $('stock').textContent = sale.stock;
      $('limit').textContent = sale.perUserLimit;
      document.title = sale.name + ' · FlashSale';
    }
    $('remaining').textContent = sale.remaining;
    if (sale.state === 'sold_out' && !finished && $('outcome').dataset.outcome !== 'won' && $('outcome').dataset.outcome !== 'queued') {
      say('Sold out', 'sold_out');
    }
    render();
  }

  async function askCaptcha() {
    captchaAsked = true;
    const { status, body } = await api('/api/sales/' + encodeURIComponent(saleId) + '/challenge', { method: 'POST', body: {} });
    if (status !== 200) { captchaAsked = false; return; }
    $('captcha').hidden = false;
    $('question').textContent = body.question;
    $('captcha-form').dataset.challengeId = body.challengeId;
    $('answer').focus();
  }

  $('captcha-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const { status, body } = await api('/api/sales/' + encodeURIComponent(saleId) + '/token', {
      method: 'POST', body: { challengeId: $('captcha-form').dataset.challengeId, answer: $('answer').value },
    });
    if (status === 200) {
      purchaseToken = body.token;
      $('captcha').hidden = true;
      $('captcha-state').textContent = '';
    } else {
      $('captcha-state').textContent = 'Not quite — here is another one.';
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
        await follow(body.orderId);
      } else if (code === 'sold_out' || code === 'ended') {
        pendingRequestId = null; finished = true; say(code === 'sold_out' ? 'Sold out' : 'The sale has ended', 'sold_out');
      } else if (code === 'limit_exceeded') {
        pendingRequestId = null; finished = true; say('Limit reached: you already have your share', 'limit');
      } else if (code === 'not_started') {
        say('Not started yet — wait for the countdown', 'retry');
      } else if (code === 'invalid_token') {
        purchaseToken = null; captchaAsked = false; say('Please answer the question first', 'retry');
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

  // After 202: the order's real status, until it leaves "queued".
  async function follow(orderId) {
    for (let i = 0; i < 120; i++) {
      const { status, body } = await api('/api/orders/' + encodeURIComponent(orderId));
      if (status === 200 && body.status !== 'queued') {
        if (body.status === 'failed') say('Sorry — the order failed; your quota is back', 'failed');
        else say('You got it! Order ' + orderId, 'won');
        $('outcome').dataset.orderId = orderId;
        return;
      }
      say('Queued… order ' + orderId, 'queued');
      await new Promise((r) => setTimeout(r, 500));
    }
  }

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
    store.removeItem('fs.token'); store.removeItem('fs.user');
    purchaseToken = null; finished = false; captchaAsked = false; say('', '');
    showUser();
  });
  $('buy').addEventListener('click', buy);

  (async () => {
    showUser();
    await syncClock();
    await loadSale();
    setInterval(render, 200);
    setInterval(loadSale, 2000);
  })();
})();
