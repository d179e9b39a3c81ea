// The LiveServer page: reads /ws (schema in OpenSqt.LiveServer/README.md) and draws it. It sends nothing but closes.
(() => {
  'use strict';

  const LC = window.LightweightCharts;
  const TERMINAL = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);
  const COLORS = { buy: '#26a69a', sell: '#ef5350', buyVol: 'rgba(38,166,154,0.45)', sellVol: 'rgba(239,83,80,0.45)' };

  // Test hook and debugging aid: everything the page knows, plus what it has drawn.
  const live = window.__liveState = {
    socket: 'CONNECTING', venue: '', interval: '', symbols: [], engineSymbols: [], symbol: null,
    connector: null, engine: null, account: null, bySymbol: {},
    drawn: { candles: 0, orderLines: 0, markers: 0, lastCandleTime: 0 },
    header: {}, received: {}, soundEnabled: false,
  };

  const el = (id) => document.getElementById(id);
  const chartEl = el('chart');
  const chart = LC.createChart(chartEl, {
    autoSize: true,
    layout: { background: { color: '#0f1419' }, textColor: '#c9d1d9' },
    grid: { vertLines: { color: '#1c2128' }, horzLines: { color: '#1c2128' } },
    timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 8 },
    rightPriceScale: { scaleMargins: { top: 0.08, bottom: 0.25 } },
  });
  const candles = chart.addSeries(LC.CandlestickSeries, {
    upColor: COLORS.buy, downColor: COLORS.sell, borderVisible: false, wickUpColor: COLORS.buy, wickDownColor: COLORS.sell,
  });
  const volume = chart.addSeries(LC.HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: 'volume', lastValueVisible: false, priceLineVisible: false });
  chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  const markers = LC.createSeriesMarkers(candles, []);
  const priceLines = new Map();

  function symbolState(symbol) {
    let s = live.bySymbol[symbol];
    if (!s) {
      s = live.bySymbol[symbol] = {
        candles: [], orders: new Map(), fills: [], buyCount: 0, sellCount: 0,
        position: { connector: null, engine: null }, risk: null,
      };
    }
    return s;
  }

  const volumeBar = (c) => ({ time: c.time, value: c.volume, color: c.close >= c.open ? COLORS.buyVol : COLORS.sellVol });
  const bar = (c) => ({ time: c.time, open: c.open, high: c.high, low: c.low, close: c.close });

  function drawChart() {
    const s = symbolState(live.symbol);
    candles.setData(s.candles.map(bar));
    volume.setData(s.candles.map(volumeBar));
    live.drawn.candles = s.candles.length;
    live.drawn.lastCandleTime = s.candles.length ? s.candles[s.candles.length - 1].time : 0;
    chartEl.dataset.candles = String(live.drawn.candles);
    drawOrders();
    drawMarkers();
  }

  function drawOrders() {
    const s = symbolState(live.symbol);
    for (const [id, line] of priceLines) {
      if (!s.orders.has(id)) {
        candles.removePriceLine(line.line);
        priceLines.delete(id);
      }
    }
    for (const [id, o] of s.orders) {
      const existing = priceLines.get(id);
      if (existing && existing.price === o.price && existing.quantity === o.quantity - o.filledQuantity) continue;
      if (existing) candles.removePriceLine(existing.line);
      const color = o.side === 'BUY' ? COLORS.buy : COLORS.sell;
      const line = candles.createPriceLine({
        price: o.price, color, lineWidth: 1, lineStyle: LC.LineStyle.Dashed, axisLabelVisible: true,
        title: `${o.side} ${o.quantity - o.filledQuantity}`,
      });
      priceLines.set(id, { line, price: o.price, quantity: o.quantity - o.filledQuantity, side: o.side });
    }
    live.drawn.orderLines = priceLines.size;
    live.drawn.orderLineSides = [...priceLines.values()].map((l) => l.side);
    chartEl.dataset.orderLines = String(priceLines.size);
  }

  function drawMarkers() {
    const s = symbolState(live.symbol);
    const list = s.fills
      .map((f) => ({
        time: f.barTime,
        position: f.side === 'BUY' ? 'belowBar' : 'aboveBar',
        color: f.side === 'BUY' ? COLORS.buy : COLORS.sell,
        shape: f.side === 'BUY' ? 'arrowUp' : 'arrowDown',
        text: `${f.side === 'BUY' ? 'B' : 'S'} ${f.quantity}@${f.price}`,
        id: f.tradeId,
      }))
      .sort((a, b) => a.time - b.time);
    markers.setMarkers(list);
    live.drawn.markers = list.length;
    chartEl.dataset.markers = String(list.length);
  }

  const fmt = (v, digits = 8) => (v === null || v === undefined) ? '-' : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits });

  function setFigure(id, value, text, signed) {
    const node = el(id);
    node.textContent = text;
    node.dataset.value = value === null || value === undefined ? '' : String(value);
    node.classList.toggle('pos', !!signed && Number(value) > 0);
    node.classList.toggle('neg', !!signed && Number(value) < 0);
    live.header[id] = value === null || value === undefined ? null : value;
  }

  function engineUp() { return live.engine && live.engine.state === 'CONNECTED'; }

  function drawHeader() {
    const s = live.symbol ? symbolState(live.symbol) : null;
    el('symbol-label').textContent = live.symbol || '-';
    el('venue').textContent = live.venue ? `on ${live.venue}` : '';
    const a = live.account;
    setFigure('balance', a ? a.walletBalance : null, a ? `${fmt(a.walletBalance, 2)} USDT` : '-');
    setFigure('available', a ? a.availableBalance : null, a ? `${fmt(a.availableBalance, 2)} USDT` : '-');
    if (!s) return;
    const p = (engineUp() && s.position.engine) || s.position.connector;
    setFigure('position', p ? p.size : null, p ? `${fmt(p.size)} (${p.source})` : '-');
    setFigure('entry', p ? p.entryPrice : null, p && p.size !== 0 ? fmt(p.entryPrice) : '-');
    setFigure('upnl', p ? p.unrealizedPnl : null, p ? fmt(p.unrealizedPnl, 4) : '-', true);
    const realized = engineUp() ? (s.risk && s.risk.realizedPnl !== null ? s.risk.realizedPnl : (s.position.engine ? s.position.engine.realizedPnl : null)) : null;
    setFigure('rpnl', realized, engineUp() ? fmt(realized, 4) : 'engine unavailable', true);
    setFigure('buys', s.buyCount, String(s.buyCount));
    setFigure('sells', s.sellCount, String(s.sellCount));
  }

  function drawRisk() {
    const banner = el('risk-banner');
    const r = live.symbol ? symbolState(live.symbol).risk : null;
    let state = 'UNKNOWN';
    let text = 'waiting for the server';
    if (live.socket !== 'OPEN') {
      text = 'not connected to the LiveServer; reconnecting';
    } else if (live.connector && live.connector.state !== 'CONNECTED') {
      text = `server cut off from the connector: ${live.connector.detail}`;
      state = r ? r.state : 'UNKNOWN';
    } else if (r) {
      state = r.state;
      text = r.state === 'TRADING' ? 'trading'
        : r.state === 'HALTED' ? `halted: ${r.reason}`
        : r.state === 'CIRCUIT_OPEN' ? `circuit breaker open: ${r.reason}`
        : r.state === 'NOT_TRADED' ? r.reason
        : r.reason || 'engine unavailable';
    }
    banner.className = `banner ${state.toLowerCase()}`;
    banner.dataset.state = state;
    banner.textContent = text;
  }

  function clock(seconds) {
    return seconds ? new Date(seconds * 1000).toISOString().substring(11, 19) : '-';
  }

  // Both levels of the dead-man's switch: the venue's countdown per symbol (or account) and each engine's lease.
  function drawSafety(m) {
    el('safety').hidden = false;
    const sw = el('safety-switch');
    let state;
    let text;
    if (m.switchError) {
      state = 'refused';
      text = `venue switch REFUSED: ${m.switchError}`;
    } else if (!m.switchEnabled) {
      state = 'off';
      text = `venue switch off: ${m.switchNote || 'not available'}`;
    } else if (m.armed.length === 0) {
      state = 'idle';
      text = `venue switch: ${m.timeoutSeconds} s, armed with the first order`;
    } else {
      state = 'armed';
      text = 'venue switch armed: ' + m.armed
        .map((a) => `${a.symbol || 'account'} refreshed ${clock(a.lastRefreshedAt)} (fires ${clock(a.firesAt)} if not)`)
        .join(', ');
    }
    sw.dataset.state = state;
    sw.textContent = text;
    const leases = el('safety-leases');
    leases.dataset.count = String(m.leases.length);
    const lapsed = m.lapsedLeases > 0 ? `; ${m.lapsedLeases} lapsed, ${m.ordersCancelledByLapse} orders cancelled` : '';
    leases.textContent = (m.leases.length === 0 ? 'leases: none' : 'leases: ' + m.leases
      .map((l) => `${l.clientName} '${l.prefix}*' renewed ${clock(l.lastRenewedAt)} (expires ${clock(l.expiresAt)})`)
      .join(', ')) + lapsed;
  }

  function drawLink(id, label, link) {
    const node = el(id);
    const state = link ? link.state : 'CONNECTING';
    node.className = `link ${state === 'CONNECTED' || state === 'OPEN' ? 'up' : state === 'CONNECTING' ? 'wait' : 'down'}`;
    node.dataset.state = state;
    node.textContent = `${label}: ${state.toLowerCase()}`;
    node.title = link && link.detail ? link.detail : label;
  }

  function drawLinks() {
    drawLink('link-browser', 'server', { state: live.socket, detail: 'browser to LiveServer' });
    drawLink('link-connector', 'connector', live.connector);
    drawLink('link-engine', 'engine', live.engine);
  }

  function drawSwitcher() {
    const select = el('symbol-switcher');
    select.hidden = live.symbols.length < 2;
    el('symbol-label').hidden = !select.hidden;
    const current = [...select.options].map((o) => o.value).join(',');
    if (current !== live.symbols.join(',')) {
      select.replaceChildren(...live.symbols.map((s) => new Option(s, s)));
    }
    if (live.symbol) select.value = live.symbol;
  }

  function selectSymbol(symbol) {
    live.symbol = symbol;
    for (const [, line] of priceLines) candles.removePriceLine(line.line);
    priceLines.clear();
    const url = new URL(window.location.href);
    url.searchParams.set('symbol', symbol);
    window.history.replaceState(null, '', url);
    drawSwitcher();
    drawChart();
    drawHeader();
    drawRisk();
  }

  let audio = null;
  function beep(side) {
    if (!live.soundEnabled || !audio) return;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = side === 'BUY' ? 880 : 660;
    gain.gain.value = 0.05;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.12);
  }

  el('sound').addEventListener('click', () => {
    live.soundEnabled = !live.soundEnabled;
    if (live.soundEnabled && !audio) audio = new AudioContext();
    el('sound').textContent = live.soundEnabled ? 'sound on' : 'sound off';
    el('sound').setAttribute('aria-pressed', String(live.soundEnabled));
  });
  el('symbol-switcher').addEventListener('change', (e) => selectSymbol(e.target.value));

  const handlers = {
    connection(m) {
      live.venue = m.venue;
      live.interval = m.interval;
      live.symbols = m.symbols;
      live.engineSymbols = m.engineSymbols;
      live.connector = m.connector;
      live.engine = m.engine;
      if ((!live.symbol || !m.symbols.includes(live.symbol)) && m.symbols.length > 0) {
        const wanted = new URL(window.location.href).searchParams.get('symbol');
        selectSymbol(m.symbols.includes(wanted) ? wanted : (m.engineSymbols[0] || m.symbols[0]));
      }
      drawSwitcher();
      drawLinks();
      drawHeader();
      drawRisk();
    },
    history(m) {
      const s = symbolState(m.symbol);
      s.candles = m.candles;
      s.fills = m.fills;
      s.buyCount = m.buyCount;
      s.sellCount = m.sellCount;
      if (m.symbol === live.symbol) { drawChart(); drawHeader(); }
    },
    kline(m) {
      const s = symbolState(m.symbol);
      const last = s.candles[s.candles.length - 1];
      if (last && last.time === m.candle.time) s.candles[s.candles.length - 1] = m.candle;
      else if (!last || last.time < m.candle.time) s.candles.push(m.candle);
      else return;
      if (m.symbol === live.symbol) {
        candles.update(bar(m.candle));
        volume.update(volumeBar(m.candle));
        live.drawn.candles = s.candles.length;
        live.drawn.lastCandleTime = m.candle.time;
        chartEl.dataset.candles = String(s.candles.length);
      }
    },
    orders(m) {
      const s = symbolState(m.symbol);
      if (m.snapshot) s.orders = new Map();
      for (const o of m.orders) {
        if (TERMINAL.has(o.status)) s.orders.delete(o.orderId);
        else s.orders.set(o.orderId, o);
      }
      if (m.symbol === live.symbol) drawOrders();
    },
    trade_event(m) {
      const s = symbolState(m.symbol);
      s.fills.push(m.fill);
      s.buyCount = m.buyCount;
      s.sellCount = m.sellCount;
      if (m.symbol === live.symbol) { drawMarkers(); drawHeader(); beep(m.fill.side); }
    },
    account(m) { live.account = m; drawHeader(); },
    position(m) {
      symbolState(m.symbol).position[m.source] = m;
      if (m.symbol === live.symbol) drawHeader();
    },
    safety(m) { live.safety = m; drawSafety(m); },
    risk_status(m) {
      symbolState(m.symbol).risk = m;
      if (m.symbol === live.symbol) { drawRisk(); drawHeader(); }
    },
  };

  let retry = 0;
  function connect() {
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${window.location.host}/ws`);
    live.socket = 'CONNECTING';
    drawLinks();
    socket.onopen = () => { retry = 0; live.socket = 'OPEN'; drawLinks(); drawRisk(); };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      live.received[message.type] = (live.received[message.type] || 0) + 1;
      const handle = handlers[message.type];
      if (handle) handle(message);
    };
    socket.onclose = () => {
      live.socket = 'CLOSED';
      drawLinks();
      drawRisk();
      const delay = Math.min(30000, 1000 * 2 ** retry++);
      window.setTimeout(connect, delay);
    };
  }

  drawLinks();
  connect();
})();
