// The live admin view: create a sale, then watch it — answers per second, stock in gate and database,
// queue depth, orders by status (payments, cancellations, refunds, units returned), and the funnel as a
// picture; cancel an order by id. Polls the admin API once a second; draws on a canvas.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const store = window.sessionStorage;
  const SERIES = [
    { name: 'requests', color: '#0071e3' },
    { name: 'accepted', color: '#0a7d32' },
    { name: 'sold out', color: '#e4002b' },
    { name: 'throttled', color: '#ff9f0a' },
  ];
  const MAX_POINTS = 120;
  let timer = null;
  let previous = null;
  const points = [];

  async function admin(path, { method = 'GET', body } = {}) {
    const headers = { Accept: 'application/json', 'X-Admin-Key': store.getItem('fs.adminKey') || '' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    let json = null;
    try { json = await response.json(); } catch { /* empty */ }
    return { status: response.status, body: json };
  }

  $('admin-key').value = store.getItem('fs.adminKey') || '';
  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    store.setItem('fs.adminKey', $('admin-key').value);
    $('key-state').textContent = 'saved for this window';
  });

  $('create-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const starts = new Date(Date.now() + Number(f.get('startsIn')) * 1000);
    const { status, body } = await admin('/api/admin/sales', {
      method: 'POST',
      body: {
        name: f.get('name'), productId: f.get('productId'), price: Number(f.get('price')), stock: Number(f.get('stock')),
        perUserLimit: Number(f.get('perUserLimit')), startsAt: starts.toISOString(),
        endsAt: new Date(starts.getTime() + Number(f.get('lasts')) * 60000).toISOString(),
        gatewayRules: { requireToken: f.get('requireToken') === 'on' },
      },
    });
    $('create-state').textContent = status === 201 ? 'Created sale ' + body.saleId : 'Refused: ' + ((body && body.detail) || status);
    if (status === 201) watch(body.saleId);
  });

  $('cancel-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const orderId = $('cancel-id').value.trim();
    const state = $('cancel-state');
    state.textContent = 'Cancelling…';
    try {
      const { status, body } = await admin('/api/admin/orders/' + encodeURIComponent(orderId) + '/cancel', { method: 'POST', body: {} });
      state.dataset.status = String(status);
      state.textContent = status === 200
        ? 'Order ' + body.orderId + ' is cancelled (' + body.cancelReason + ')'
        : 'Refused: ' + ((body && (body.detail || body.code)) || status);
    } catch {
      state.textContent = 'Network trouble — try again';
    }
  });

  $('watch-form').addEventListener('submit', (e) => { e.preventDefault(); watch($('sale-id').value.trim()); });

  function watch(saleId) {
    $('sale-id').value = saleId;
    $('sale-link').href = '/sales/' + encodeURIComponent(saleId);
    $('sale-link').hidden = false;
    history.replaceState(null, '', '/admin?sale=' + encodeURIComponent(saleId));
    $('live').hidden = false;
    points.length = 0;
    previous = null;
    clearInterval(timer);
    tick(saleId);
    timer = setInterval(() => tick(saleId), 1000);
    showReport(saleId, null);
  }

  // Reconciliation: the last report (GET), or a new one on demand (POST, optionally repairing).
  async function showReport(saleId, repair) {
    const path = '/api/admin/sales/' + encodeURIComponent(saleId);
    const { status, body } = repair === null
      ? await admin(path + '/reconciliation')
      : await admin(path + '/reconcile' + (repair ? '?repair=true' : ''), { method: 'POST' });
    const list = $('recon-differences');
    list.textContent = '';
    if (status !== 200) {
      $('recon-status').textContent = status === 404 ? 'not reconciled yet' : 'cannot reconcile (' + status + ')';
      $('recon-status').className = 'recon';
      $('recon-at').textContent = '';
      return;
    }
    $('recon-status').textContent = body.status;
    $('recon-status').className = 'recon recon-' + body.status;
    $('recon-at').textContent = new Date(body.at).toLocaleString() + (body.inFlight ? ', ' + body.inFlight + ' in flight' : '');
    for (const d of body.differences) {
      const item = document.createElement('li');
      item.textContent = d.kind + ': ' + d.detail + (d.orderIds.length ? ' — orders ' + d.orderIds.join(', ') : '');
      list.appendChild(item);
    }
    for (const r of body.repaired) {
      const item = document.createElement('li');
      item.className = 'recon-repair';
      item.textContent = 'repaired ' + r.kind + ': ' + r.action;
      list.appendChild(item);
    }
  }

  $('reconcile').addEventListener('click', () => {
    const saleId = $('sale-id').value.trim();
    if (saleId) showReport(saleId, $('reconcile-repair').checked);
  });

  function stoppedBy(funnel, code) {
    return funnel.layers.reduce((sum, l) => sum + (l.stoppedBy[code] || 0), 0);
  }

  async function tick(saleId) {
    const [stats, funnel] = await Promise.all([
      admin('/api/admin/sales/' + encodeURIComponent(saleId) + '/stats'),
      admin('/api/admin/sales/' + encodeURIComponent(saleId) + '/funnel'),
    ]);
    if (stats.status !== 200 || funnel.status !== 200) {
      $('create-state').textContent = stats.status === 401 || stats.status === 403 ? 'Enter the admin key first.' : 'Cannot read sale ' + saleId;
      return;
    }
    const s = stats.body, f = funnel.body;
    const now = {
      at: performance.now(),
      requests: f.layers[0].arrived,
      accepted: f.layers[f.layers.length - 1].passed,
      soldOut: stoppedBy(f, 'sold_out'),
      throttled: stoppedBy(f, 'throttled'),
    };
    if (previous) {
      const seconds = Math.max(0.001, (now.at - previous.at) / 1000);
      points.push([now.requests - previous.requests, now.accepted - previous.accepted, now.soldOut - previous.soldOut, now.throttled - previous.throttled].map((d) => d / seconds));
      if (points.length > MAX_POINTS) points.shift();
    }
    previous = now;
    const last = points[points.length - 1] || [0, 0, 0, 0];
    $('t-rps').textContent = Math.round(last[0]);
    $('t-accepted').textContent = s.accepted + ' / ' + s.stock;
    $('t-gate').textContent = s.remainingInGate;
    $('t-db').textContent = s.remainingInDb;
    $('t-backlog').textContent = s.accepted - s.persisted;
    $('t-queue').textContent = s.admissionQueueDepth ?? 0;
    drawOrders(s);
    drawChart();
    drawFunnel(f);
  }

  // One tile per order status (whatever statuses the server counts), then refunds and units back on sale.
  function drawOrders(s) {
    const tiles = [
      ...Object.entries(s.ordersByStatus || {}).map(([status, n]) => ['status-' + status, status.replace('_', ' '), n]),
      // Only refunds that exist are counted; both kinds always get a tile.
      ...Object.entries({ refund_pending: 0, refunded: 0, ...s.ordersByRefund }).map(([status, n]) => ['refund-' + status, status.replace('_', ' '), n]),
      ['returned', 'units returned', s.returned ?? 0],
    ];
    const box = $('orders');
    for (const [key, label, n] of tiles) {
      let tile = box.querySelector('[data-key="' + CSS.escape(key) + '"]');
      if (!tile) {
        tile = document.createElement('div');
        tile.dataset.key = key;
        tile.append(document.createElement('span'), document.createElement('b'));
        tile.firstChild.textContent = label;
        box.appendChild(tile);
      }
      tile.lastChild.textContent = String(n);
    }
  }

  function drawChart() {
    const canvas = $('chart');
    const ctx = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height, pad = 36;
    ctx.clearRect(0, 0, w, h);
    const max = Math.max(10, ...points.flat());
    ctx.strokeStyle = '#d2d2d7'; ctx.fillStyle = '#6e6e73'; ctx.font = '12px system-ui';
    for (let i = 0; i <= 4; i++) {
      const y = h - pad + (-(h - 2 * pad) * i) / 4;
      ctx.beginPath(); ctx.moveTo(pad, y); ctx.lineTo(w - 8, y); ctx.stroke();
      ctx.fillText(String(Math.round((max * i) / 4)), 4, y + 4);
    }
    SERIES.forEach((series, k) => {
      ctx.strokeStyle = series.color; ctx.lineWidth = 2; ctx.beginPath();
      points.forEach((p, i) => {
        const x = pad + ((w - pad - 8) * i) / (MAX_POINTS - 1);
        const y = h - pad - ((h - 2 * pad) * p[k]) / max;
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.stroke();
    });
    canvas.dataset.points = String(points.length);
    canvas.dataset.peakRequests = String(Math.round(Math.max(0, ...points.map((p) => p[0]))));
  }

  function drawFunnel(f) {
    const top = Math.max(1, f.layers[0].arrived);
    $('funnel').innerHTML = '';
    for (const layer of f.layers) {
      const row = document.createElement('div');
      row.className = 'layer';
      const codes = Object.entries(layer.stoppedBy).map(([c, n]) => c + ' ' + n).join(', ');
      row.innerHTML = '<span></span><div class="bar"><div class="passed"></div><div class="stopped"></div></div><span></span>';
      row.children[0].textContent = layer.layer;
      row.querySelector('.passed').style.width = (100 * layer.arrived) / top + '%';
      row.querySelector('.stopped').style.width = (100 * layer.stopped) / top + '%';
      row.children[2].textContent = layer.arrived + ' in, ' + layer.stopped + ' stopped' + (codes ? ' (' + codes + ')' : '');
      $('funnel').appendChild(row);
    }
  }

  const fromQuery = new URLSearchParams(location.search).get('sale');
  if (fromQuery) watch(fromQuery);
})();
