// provbench kiosk page. Read-only: it receives a snapshot and then events over one WebSocket and
// renders them. Every string from the server goes into the page through textContent (el() below);
// nothing is ever parsed as markup.
'use strict';
(() => {
  const STAGES = ['Discovered', 'Identified', 'Checked', 'Attested', 'Sealed', 'Handed off', 'Ready'];
  const VERDICTS = {
    ready: { icon: '✔', label: 'READY' },
    needs_approval: { icon: '⚠', label: 'NEEDS APPROVAL' },
    blocked: { icon: '⊘', label: 'BLOCKED' },
    failed: { icon: '✖', label: 'FAILED' },
    not_attestable: { icon: '?', label: 'NOT ATTESTABLE' },
    in_progress: { icon: '…', label: 'IN PROGRESS' },
  };
  const ORDER = ['ready', 'in_progress', 'needs_approval', 'blocked', 'failed', 'not_attestable'];
  const OUTCOMES = { pass: '✔ pass', warn: '⚠ warning', fail: '✖ fail', missing_data: '? not decided' };

  const state = { seq: -1, tiles: new Map(), slots: [], header: null, offsetMs: 0, detailKey: null };
  // For tests and the latency benchmark: what was applied when (no device data beyond keys).
  const probe = { snapshots: 0, applied: [], connected: false };
  window.kioskProbe = probe;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  const byId = (id) => document.getElementById(id);

  function ago(sinceSec) {
    if (!sinceSec) return '';
    const s = Math.max(0, Math.floor((Date.now() + state.offsetMs) / 1000 - sinceSec));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + (Math.floor(s / 60) % 60) + ' min';
    return Math.floor(s / 86400) + ' days';
  }

  function renderHeader() {
    const h = state.header;
    if (!h) return;
    byId('bench-id').textContent = h.bench_id;
    byId('policy-name').textContent = h.policy_name;
    byId('policy-hash').textContent = h.policy_hash ? '#' + h.policy_hash : '';
    const counts = byId('counts');
    counts.replaceChildren();
    for (const v of ORDER) {
      const n = (h.counts && h.counts[v]) || 0;
      const c = el('span', 'count c-' + v + (n === 0 ? ' zero' : ''), VERDICTS[v].icon + ' ' + n + ' ' + VERDICTS[v].label);
      c.dataset.verdict = v;
      counts.append(c);
    }
    const banners = byId('banners');
    banners.replaceChildren();
    for (const b of h.banners || []) {
      banners.append(el('div', 'banner ' + (b.severity === 'danger' ? 'danger' : 'warning'), '⚠ ' + b.text));
    }
  }

  function stagesEl(t) {
    const box = el('div', 'stages');
    const reached = t.stage >= 0 ? t.stage : t.stopped_at - 1;
    STAGES.forEach((name, i) => {
      let cls = 'stage';
      let mark = '';
      if (t.stage >= 0 && i < t.stage) { cls += ' done'; mark = '✔ '; }
      else if (t.stage >= 0 && i === t.stage) { cls += t.stage === STAGES.length - 1 ? ' done' : ' current'; mark = t.stage === STAGES.length - 1 ? '✔ ' : '▶ '; }
      else if (t.stage < 0 && i <= reached) { cls += ' done'; mark = '✔ '; }
      else if (t.stage < 0 && i === t.stopped_at) { cls += ' stopped'; mark = '✖ '; }
      box.append(el('span', cls, mark + name));
    });
    return box;
  }

  function stageCaption(t) {
    if (t.stage >= 0) {
      return 'Step ' + (t.stage + 1) + ' of ' + STAGES.length + ': ' + STAGES[t.stage];
    }
    const at = Math.min(Math.max(t.stopped_at, 0), STAGES.length - 1);
    return 'Did not pass step ' + (at + 1) + ' of ' + STAGES.length + ': ' + STAGES[at];
  }

  function tileEl(t) {
    const v = VERDICTS[t.verdict] || VERDICTS.failed;
    const tile = el('button', 'tile v-' + t.verdict);
    tile.type = 'button';
    tile.dataset.key = t.key;
    tile.dataset.verdict = t.verdict;
    const head = el('div', 'verdict');
    head.append(el('span', 'icon', v.icon), el('span', 'verdict-text', t.verdict_label || v.label));
    const body = el('div', 'body');
    body.append(el('div', 'device', t.model || 'unknown model'));
    body.append(el('div', 'serial', 'S/N ' + (t.serial || '(none)')));
    if (t.owner) body.append(el('div', 'owner', 'Owner ' + t.owner));
    body.append(el('div', 'stage-caption', stageCaption(t)));
    body.append(stagesEl(t));
    body.append(el('div', 'since', 'In this state for ' + ago(t.state_since)));
    if (t.reason) {
      const r = el('div', 'reason');
      r.append(el('div', 'code', t.reason.code + ' · ' + t.reason.title));
      r.append(el('div', 'sentence', t.reason.sentence));
      if (t.reason.remediation) r.append(el('div', 'fix', t.reason.remediation));
      body.append(r);
    }
    body.append(el('div', 'more', 'Tap for every check'));
    tile.append(head, body);
    tile.addEventListener('click', () => openDetail(t.key));
    return tile;
  }

  function slotBox(id, label) {
    const box = el('section', 'slot' + (id === '' ? ' unassigned' : ''));
    box.dataset.slot = id;
    box.append(el('div', 'slot-name', label));
    box.append(el('div', 'slot-tiles'));
    return box;
  }

  function placeTile(t) {
    const old = document.querySelector('.tile[data-key="' + CSS.escape(t.key) + '"]');
    const fresh = tileEl(t);
    const box = document.querySelector('.slot[data-slot="' + CSS.escape(t.slot || '') + '"]') ||
      document.querySelector('.slot[data-slot=""]');
    const list = box.querySelector('.slot-tiles');
    if (old && old.parentElement === list) {
      old.replaceWith(fresh);
    } else {
      if (old) old.remove();
      list.prepend(fresh);
    }
    refreshEmpty();
  }

  function refreshEmpty() {
    for (const box of document.querySelectorAll('.slot')) {
      const list = box.querySelector('.slot-tiles');
      const empty = list.querySelector('.slot-empty');
      const has = list.querySelector('.tile') !== null;
      if (has && empty) empty.remove();
      if (!has && !empty) list.append(el('div', 'slot-empty', box.dataset.slot === '' ? 'No unassigned devices' : 'Empty — no device seen in this slot'));
    }
    const un = document.querySelector('.slot[data-slot=""]');
    if (un) un.hidden = un.querySelector('.tile') === null;
  }

  function renderAll() {
    const grid = byId('grid');
    grid.replaceChildren();
    for (const s of state.slots) grid.append(slotBox(s.id, s.label));
    grid.append(slotBox('', 'Unassigned (no known slot)'));
    const tiles = [...state.tiles.values()].sort((a, b) => a.state_since - b.state_since);
    for (const t of tiles) placeTile(t);
    refreshEmpty();
    renderHeader();
    if (state.detailKey) fillDetail(state.detailKey);
  }

  function fact(dl, k, v) {
    if (v === undefined || v === null || v === '') return;
    dl.append(el('dt', null, k), el('dd', null, v));
  }

  function fillDetail(key) {
    const t = state.tiles.get(key);
    if (!t) return;
    const v = VERDICTS[t.verdict] || VERDICTS.failed;
    byId('detail-title').textContent = v.icon + ' ' + (t.verdict_label || v.label) + ' — ' + (t.slot_label || 'unassigned');
    const dl = byId('detail-facts');
    dl.replaceChildren();
    fact(dl, 'Model', t.model);
    fact(dl, 'Serial', t.serial);
    fact(dl, 'Owner', t.owner);
    fact(dl, 'Device id', t.device_id);
    fact(dl, 'State', t.state + ' (for ' + ago(t.state_since) + ')');
    if (t.reason) {
      fact(dl, 'Reason', t.reason.code + ' · ' + t.reason.title);
      fact(dl, 'Why', t.reason.sentence);
      fact(dl, 'What to do', t.reason.remediation);
    }
    const body = byId('detail-checks');
    body.replaceChildren();
    for (const c of t.checks || []) {
      const tr = el('tr');
      tr.append(el('td', null, c.id), el('td', 'o-' + c.outcome, OUTCOMES[c.outcome] || c.outcome),
        el('td', null, c.code), el('td', null, c.message), el('td', null, c.remediation));
      body.append(tr);
    }
  }

  function openDetail(key) {
    state.detailKey = key;
    fillDetail(key);
    byId('detail').hidden = false;
    byId('detail-close').focus();
  }
  function closeDetail() {
    state.detailKey = null;
    byId('detail').hidden = true;
  }

  function setConn(up, text) {
    probe.connected = up;
    const c = byId('conn');
    c.className = 'conn ' + (up ? 'conn-up' : 'conn-down');
    c.textContent = text;
    document.body.classList.toggle('stale', !up);
  }

  function handle(m) {
    if (m.type === 'snapshot') {
      state.seq = m.seq;
      state.tiles = new Map(m.tiles.map((t) => [t.key, t]));
      state.slots = m.slots || [];
      state.header = m.header;
      state.offsetMs = m.server_time_ms - Date.now();
      renderAll();
      probe.snapshots++;
      return true;
    }
    // Events are numbered; a gap means something was missed: start over with a fresh snapshot.
    if (m.seq !== state.seq + 1) return false;
    state.seq = m.seq;
    if (m.type === 'tile') {
      state.tiles.set(m.tile.key, m.tile);
      placeTile(m.tile);
      if (state.detailKey === m.tile.key) fillDetail(m.tile.key);
      probe.applied.push({ seq: m.seq, key: m.tile.key, changed_at_ms: m.changed_at_ms, applied_ms: Date.now() });
      if (probe.applied.length > 10000) probe.applied.shift();
    } else if (m.type === 'header') {
      state.header = m.header;
      renderHeader();
    } else if (m.type === 'remove') {
      // The bench keeps a bounded number of unregistered devices' tiles per slot.
      state.tiles.delete(m.key);
      const old = document.querySelector('.tile[data-key="' + CSS.escape(m.key) + '"]');
      if (old) old.remove();
      if (state.detailKey === m.key) closeDetail();
      refreshEmpty();
    }
    return true;
  }

  let backoffMs = 500;
  function connect() {
    const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    ws.onopen = () => setConn(true, 'live');
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { ws.close(); return; }
      if (m.type === 'snapshot') backoffMs = 500;
      if (!handle(m)) ws.close();
    };
    ws.onclose = () => {
      setConn(false, '⚠ No connection to benchd — reconnecting; showing the last known state');
      setTimeout(connect, backoffMs);
      backoffMs = Math.min(backoffMs * 2, 10000);
    };
  }

  document.addEventListener('DOMContentLoaded', () => {
    byId('detail-close').addEventListener('click', closeDetail);
    byId('detail').addEventListener('click', (e) => { if (e.target === byId('detail')) closeDetail(); });
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeDetail(); });
    setInterval(() => {
      for (const t of state.tiles.values()) {
        const tile = document.querySelector('.tile[data-key="' + CSS.escape(t.key) + '"] .since');
        if (tile) tile.textContent = 'In this state for ' + ago(t.state_since);
      }
    }, 5000);
    connect();
  });
})();
