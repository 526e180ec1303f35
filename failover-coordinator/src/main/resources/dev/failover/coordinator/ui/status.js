// The coordinator's status page: polls /api/groups (every group) or /api/groups/{group} (one group, live from the
// instance that hosts it) every 500 ms and draws the answer. Text only (textContent): reasons and node names come from
// records and may hold anything. Read-only: nothing here changes the system.
'use strict';
(function () {
  const POLL_MS = 500;
  const TIMEOUT_MS = 2000;

  // A token arrives in the fragment (#token=...), which the browser never sends; it is kept for this tab only and
  // dropped from the address bar, then sent as a bearer token with each request.
  function decoded(text) {
    try {
      return decodeURIComponent(text);
    } catch (e) {
      return text;
    }
  }
  const fragment = location.hash.match(/^#token=(.+)$/);
  if (fragment) {
    sessionStorage.setItem('failoverToken', decoded(fragment[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = sessionStorage.getItem('failoverToken');
  const path = location.pathname.match(/^\/ui\/groups\/([^/]+)$/);
  const group = path ? decoded(path[1]) : null;
  const main = document.getElementById('main');
  const banner = document.getElementById('banner');
  const openWhy = new Set();
  let polls = 0;
  let lastOk = 0;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined && v !== false) {
        e.setAttribute(k, String(v));
      }
    }
    for (const c of children) {
      if (c !== null && c !== undefined) {
        e.append(c instanceof Node ? c : String(c));
      }
    }
    return e;
  }

  async function get(url) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    try {
      const headers = token ? { Authorization: 'Bearer ' + token } : {};
      const r = await fetch(url, { cache: 'no-store', headers, signal: abort.signal });
      if (r.status === 401) {
        throw new Error('this coordinator needs its HTTP token: open ' + location.origin + location.pathname
          + '#token=TOKEN (the fragment is never sent to the server)');
      }
      const body = await r.json();
      if (!r.ok) {
        throw new Error(body.error || 'HTTP ' + r.status);
      }
      return body;
    } finally {
      clearTimeout(timer);
    }
  }

  function mode(m) {
    return m === 'ACTIVE_PASSIVE' ? 'active/passive' : m === 'ACTIVE_ACTIVE' ? 'active/active' : String(m);
  }

  function ms(n) {
    return n < 10000 ? n + ' ms' : (n / 1000).toFixed(1) + ' s';
  }

  function time(epochMs) {
    return new Date(epochMs).toISOString().replace('T', ' ').replace('Z', ' UTC');
  }

  function ago(epochMs) {
    return ms(Math.max(0, Date.now() - epochMs)) + ' ago';
  }

  // One group: its header, its members, the reason of its last decision or the wait in progress.
  function groupCard(state, live, link) {
    const card = el('section', { class: 'group', 'data-group': state.group, 'data-epoch': state.epoch });
    const name = link ? el('a', { href: '/ui/groups/' + encodeURIComponent(state.group) }, state.group) : state.group;
    card.append(el('h2', {}, name,
      el('span', { class: 'tag' }, mode(state.mode)),
      el('span', { class: 'tag', 'data-role': 'epoch' }, 'epoch ' + state.epoch),
      state.paused ? el('span', { class: 'tag warn' }, 'paused'
        + (state.pausedUntilMs ? ' until ' + time(state.pausedUntilMs) : ' indefinitely')) : null,
      live && live.handover ? el('span', { class: 'tag warn' }, 'handover') : null,
      el('span', { class: 'tag' }, live ? 'live' : 'as of its last decision, ' + ago(state.updatedAtMs))));
    const rows = state.members.map(m => {
      const x = live ? live.members[m.node] || {} : {};
      const lease = x.leaseLeftMs === undefined || x.leaseLeftMs === null ? '-'
        : x.leaseLeftMs > 0 ? '\u2264 ' + ms(x.leaseLeftMs) : 'lapsed';
      const silent = live && m.lastSeenAgeMs !== null && x.failureTimeoutMs && m.lastSeenAgeMs > x.failureTimeoutMs;
      return el('tr', { 'data-node': m.node, 'data-role': m.role },
        el('td', {}, m.node),
        el('td', { class: 'role' }, m.role),
        el('td', { class: m.health === 'UNHEALTHY' ? 'bad' : null }, m.health),
        el('td', { class: 'wide' }, m.priority),
        el('td', { class: silent ? 'bad' : null }, m.lastSeenAgeMs === null ? 'never' : ms(m.lastSeenAgeMs) + ' ago'),
        el('td', { class: lease === 'lapsed' ? 'bad' : null }, lease),
        el('td', { class: 'wide' }, m.suspicion === null ? '-' : m.suspicion.toFixed(1)),
        el('td', { class: 'wide' }, x.reportedRole ? x.reportedRole + ' @' + x.reportedEpoch : '-'));
    });
    card.append(el('div', { class: 'table' }, el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, 'node'), el('th', {}, 'role'), el('th', {}, 'health'),
        el('th', { class: 'wide' }, 'priority'), el('th', {}, 'heard'), el('th', {}, 'lease left'),
        el('th', { class: 'wide' }, 'suspicion'), el('th', { class: 'wide' }, 'reports'))),
      el('tbody', {}, ...rows))));
    if (live && live.handover) {
      const h = live.handover;
      card.append(el('p', { class: 'reason' }, 'handover from ' + h.from + (h.to ? ' to ' + h.to : '') + ' for '
        + ms(h.forMs) + ': ' + h.why));
    }
    if (state.lastReason) {
      card.append(el('p', { class: 'reason muted' }, state.lastReason));
    }
    return card;
  }

  function timeline(decisions) {
    const list = el('ol', { class: 'timeline' });
    for (const d of decisions) {
      const c = d.record;
      const key = c.epoch + '/' + c.kind + '/' + c.decidedAtMs;
      const why = el('details', { open: openWhy.has(key) }, el('summary', {}, 'why (as ctl why prints it)'),
        el('pre', {}, d.why));
      why.addEventListener('toggle', () => why.open ? openWhy.add(key) : openWhy.delete(key));
      list.append(el('li', { 'data-kind': c.kind, 'data-epoch': c.epoch },
        el('time', {}, time(c.decidedAtMs)), ' ', el('b', {}, c.kind), ' epoch ' + c.epoch + ': ',
        c.members.map(m => m.node + '=' + m.role).join(' '),
        el('div', { class: 'reason' }, c.reason),
        c.fence && c.fence.length ? el('div', {}, 'fence: ' + c.fence.join(', ')) : null,
        c.commandId ? el('div', { class: 'muted' }, 'operator command ' + c.commandId) : null,
        why));
    }
    return list;
  }

  function renderOverview(d) {
    document.getElementById('where').textContent = 'all groups, from ' + d.instance;
    const parts = [el('p', { class: 'summary muted' }, d.total + ' group' + (d.total === 1 ? '' : 's')
      + (d.groups.length < d.total ? ', the first ' + d.groups.length + ' shown' : '')
      + '; roles and ages as of each group\'s last decision: open a group for its live view')];
    if (!d.reading) {
      parts.push(el('p', { class: 'muted' }, 'this instance does not read the state topic now'
        + (d.readingProblem ? ': ' + d.readingProblem : '')));
    }
    for (const g of d.groups) {
      parts.push(groupCard(g, null, true));
    }
    main.replaceChildren(...parts);
    if (!d.healthy) {
      return 'this instance is not healthy: ' + JSON.stringify(d.health.reasons || d.health.status || d.health);
    }
    return null;
  }

  function renderGroup(d) {
    document.getElementById('where').textContent = 'group ' + group + ', from ' + d.instance;
    document.title = group + ' \u2014 failover status';
    const state = d.live ? d.group.state : d.state;
    const parts = [];
    if (state) {
      parts.push(groupCard(state, d.live ? d.group : null, false));
    }
    parts.push(el('h3', {}, 'decisions, newest first'));
    parts.push(d.decisions.length ? timeline(d.decisions) : el('p', { class: 'muted' }, 'none read yet'));
    main.replaceChildren(...parts);
    const problems = [];
    if (!d.live) {
      problems.push('not live: ' + (d.note || 'the instance hosting the group did not answer'));
    }
    if (d.readingProblem) {
      problems.push('the timeline may be behind: ' + d.readingProblem);
    }
    return problems.length ? problems.join('; ') : null;
  }

  function say(problem) {
    banner.hidden = !problem;
    banner.textContent = problem || '';
  }

  async function poll() {
    try {
      const data = await get(group ? '/api/groups/' + encodeURIComponent(group) : '/api/groups');
      polls++;
      lastOk = Date.now();
      say(group ? renderGroup(data) : renderOverview(data));
      document.getElementById('updated').textContent = 'Last update ' + time(lastOk) + '.';
    } catch (e) {
      say((lastOk ? 'stale: last update ' + ago(lastOk) + '. ' : '') + (e.name === 'AbortError'
        ? 'the coordinator did not answer within ' + TIMEOUT_MS + ' ms' : e.message));
    }
    main.dataset.polls = polls;
    setTimeout(poll, POLL_MS);
  }

  poll();
})();
