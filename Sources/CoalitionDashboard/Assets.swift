/// The dashboard's stylesheet and its one script, served from the binary under `/ui/assets/`:
/// no CDN, no third-party file, nothing fetched from the internet.
enum Assets {
    static let css = """
    :root { --fg: #1c2330; --muted: #5b6577; --line: #d8dde6; --bg: #f6f7f9; --card: #fff; --accent: #1f5fbf;
            --crit: #b3261e; --high: #c2620a; --med: #8a6d00; --low: #3b7d3b; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
    header { display: flex; align-items: center; gap: 18px; padding: 10px 20px; background: #14213d; color: #fff; flex-wrap: wrap; }
    header .brand { font-weight: 700; font-size: 16px; }
    header .node { color: #c9d3e6; font-size: 12px; }
    header nav { display: flex; gap: 4px; flex-wrap: wrap; }
    header nav a { color: #dfe6f3; text-decoration: none; padding: 5px 9px; border-radius: 4px; }
    header nav a.on, header nav a:hover { background: #2b3f69; color: #fff; }
    header form { margin-left: auto; }
    header .who { font-size: 12px; color: #c9d3e6; margin-right: 8px; }
    main { padding: 18px 20px 40px; max-width: 1400px; }
    h1 { font-size: 20px; margin: 4px 0 14px; }
    h2 { font-size: 15px; margin: 22px 0 8px; }
    .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 14px; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
    .card h2 { margin-top: 0; }
    .big { font-size: 26px; font-weight: 700; }
    table { border-collapse: collapse; width: 100%; background: var(--card); }
    th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { font-size: 12px; color: var(--muted); font-weight: 600; background: #eef1f5; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
    .muted { color: var(--muted); }
    .ok { color: var(--low); font-weight: 600; }
    .bad { color: var(--crit); font-weight: 600; }
    .sev-critical { color: var(--crit); font-weight: 700; }
    .sev-high { color: var(--high); font-weight: 600; }
    .sev-medium { color: var(--med); }
    .sev-low { color: var(--low); }
    .flash { padding: 8px 12px; border-radius: 4px; margin: 0 0 14px; background: #e6f0ff; border: 1px solid #b5cdf5; }
    .flash.error { background: #fdecea; border-color: #f3b7b1; }
    form.inline { display: inline; }
    form.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin-bottom: 12px; }
    label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
    input, select, textarea, button { font: inherit; padding: 4px 7px; border: 1px solid #b9c1ce; border-radius: 4px; background: #fff; color: var(--fg); }
    button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent); }
    button.secondary { background: #fff; color: var(--accent); }
    button.danger { background: var(--crit); border-color: var(--crit); }
    header button { background: transparent; border-color: #6c7ea5; color: #fff; }
    .login { max-width: 420px; margin: 80px auto; }
    .login input { width: 100%; }
    details.hidden-note summary { cursor: pointer; color: var(--muted); }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
    dl.facts dt { color: var(--muted); }
    dl.facts dd { margin: 0; }
    .chart { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
    .legend { display: flex; gap: 12px; flex-wrap: wrap; font-size: 12px; margin-top: 6px; }
    .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
    .sw0 { background: #1f5fbf; } .sw1 { background: #2e9e6a; } .sw2 { background: #c2620a; } .sw3 { background: #7b4bb7; }
    .sw4 { background: #b3261e; } .sw5 { background: #3a8fa8; } .sw6 { background: #8a6d00; } .sw7 { background: #666; }
    .pager { margin-top: 10px; }
    #live-status { font-size: 12px; }
    .new { animation: flash 2s ease-out; }
    @keyframes flash { from { background: #fff3c4; } to { background: transparent; } }
    @media print {
      header, form, .noprint, .pager { display: none !important; }
      body { background: #fff; font-size: 11pt; }
      main { padding: 0; max-width: none; }
      .card, table, .chart { border: none; }
      th { background: none; }
      a { color: inherit; text-decoration: none; }
      h2 { break-after: avoid; }
      table { break-inside: auto; } tr { break-inside: avoid; }
    }
    """

    /// Live updates: an EventSource on `/ui/live/events`; new critical signals are added to the
    /// top of the table. Text goes in with textContent only, never as markup.
    static let liveJS = """
    (function () {
      var table = document.getElementById('live-rows');
      var status = document.getElementById('live-status');
      if (!table || !window.EventSource) { return; }
      var source = new EventSource('/ui/live/events');
      source.onopen = function () { status.textContent = 'connected: new critical signals appear here as they arrive'; status.className = 'ok'; };
      source.onerror = function () { status.textContent = 'disconnected; reconnecting'; status.className = 'bad'; };
      source.addEventListener('signal', function (e) {
        var s = JSON.parse(e.data);
        var empty = document.getElementById('live-empty');
        if (empty) { empty.remove(); }
        var tr = document.createElement('tr');
        tr.className = 'new';
        tr.setAttribute('data-signal', s.id);
        function cell(text, cls) { var td = document.createElement('td'); td.textContent = text; if (cls) { td.className = cls; } tr.appendChild(td); return td; }
        cell(s.publishedAt);
        cell(s.kind);
        var v = cell('', 'mono');
        var a = document.createElement('a'); a.href = '/ui/signals/' + encodeURIComponent(s.id); a.textContent = s.value; v.appendChild(a);
        cell(s.category);
        cell(s.severity, 'sev-' + s.severity);
        cell(s.authorName);
        table.insertBefore(tr, table.firstChild);
      });
    })();
    """
}
