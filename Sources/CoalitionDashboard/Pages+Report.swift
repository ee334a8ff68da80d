import CoalitionQuery

extension Pages {
    /// The report's body: the coalition-wide part (with its digest), then the local part. Also
    /// the body of `coalition report --format html`.
    static func reportBody(_ r: TransparencyReport) -> HTML {
        let c = r.coalition
        func pct(_ x: Double) -> String { String(format: "%.1f %%", x * 100) }
        func totals(_ list: [TransparencyReport.Total], named: Bool, id: String) -> HTML {
            table((named ? ["Member", "Member ID"] : ["Name"]).map { HTML(stringLiteral: $0) } + ["Published", "Retracted", "Disputed", "Confirmed", "Dispute rate"]
                    + (named ? ["Restricted"] : []),
                  list.map { t in
                      (named ? ["\(t.name ?? "")", "<code>\(String(t.key.prefix(16)))…</code>"] : ["\(t.key)"] as [HTML])
                          + [num(t.published), num(t.retracted), num(t.disputed), num(t.confirmed), "\(pct(t.disputeRate))"]
                          + (named ? [num(t.restricted)] : [])
                  }, id: id, empty: "Nothing in this period.")
        }
        let rows: [[HTML]] = c.rows.map { row in
            ["\(row.memberName)", "\(row.category)", "\(row.kind)", num(row.published), num(row.retracted), num(row.disputed), num(row.confirmed), "\(pct(row.disputeRate))"]
        }
        let reasons: [[HTML]] = c.retractedByReason.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ["\($0.key)", num($0.value)] }
        let chart = Chart.stacked(title: "Signals per member", labels: c.byMember.map { $0.name ?? String($0.key.prefix(8)) },
                                  series: [("published", c.byMember.map(\.published)), ("retracted", c.byMember.map(\.retracted)),
                                           ("disputed", c.byMember.map(\.disputed))])
        let l = r.local
        let matches: [[HTML]] = l.matchesByCategory.sorted { $0.key < $1.key }.map { ["\($0.key)", num($0.value)] }
        return """
        <p>From <strong>\(r.from)</strong> to <strong>\(r.to)</strong> (end excluded). Generated \(r.generatedAt).</p>
        <h2>Coalition-wide</h2>
        <p>Computed only from the signed entries in the merged state: every member holding the same entries computes the same
        numbers. Compare this digest with another member's:</p>
        <p><code id="report-digest">\(c.digest)</code></p>
        <div class="cards">
        <div class="card"><h2>Published</h2><div class="big" id="report-published">\(c.total.published)</div><div class="muted">public signals, plus \(c.total.restricted) restricted</div></div>
        <div class="card"><h2>Retracted</h2><div class="big">\(c.total.retracted)</div></div>
        <div class="card"><h2>Disputed</h2><div class="big">\(c.total.disputed)</div><div class="muted">dispute rate \(pct(c.total.disputeRate))</div></div>
        <div class="card"><h2>Confirmed</h2><div class="big">\(c.total.confirmed)</div></div>
        <div class="card"><h2>Equivocations</h2><div class="big">\(c.equivocators.count)</div></div>
        </div>
        \(chart)
        <h2>By member</h2>
        \(totals(c.byMember, named: true, id: "report-members"))
        <h2>By category</h2>
        \(totals(c.byCategory, named: false, id: "report-categories"))
        <h2>By kind</h2>
        \(totals(c.byKind, named: false, id: "report-kinds"))
        <h2>Retractions by reason</h2>
        \(table(["Reason", "Retracted"], reasons, id: "report-reasons", empty: "No retraction in this period."))
        <h2>Every member, category and kind</h2>
        \(table(["Member", "Category", "Kind", "Published", "Retracted", "Disputed", "Confirmed", "Dispute rate"], rows, id: "report-rows", empty: "Nothing in this period."))
        <h2>Equivocators</h2>
        \(table(["Member ID"], c.equivocators.map { ["<code>\($0)</code>"] }, empty: "No member is flagged."))
        <h2>This node only (local)</h2>
        <p class="muted">These figures are this node's own (node <code>\(String(l.node.prefix(16)))…</code>) and differ between members.</p>
        <dl class="facts" id="report-local">
        <dt>Lookups</dt><dd>\(l.lookups)</dd>
        <dt>Overrides set</dt><dd>\(l.overrides.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ").nonEmpty ?? "none")</dd>
        <dt>Signals received from others</dt><dd>\(l.arrivals)</dd>
        <dt>Median time to reach this node</dt><dd>\(l.medianArrivalSeconds.map { String(format: "%.2f s", $0) } ?? "no arrival")</dd>
        </dl>
        <h2>Matches by category (local)</h2>
        \(table(["Category", "Lookups that matched"], matches, id: "report-matches", empty: "No match in this period."))
        """
    }

    static func report(_ r: TransparencyReport, from: String, to: String, session: Session, node: (name: String, id: String), error: String?) -> HTML {
        let query = "from=\(urlEncode(from))&to=\(urlEncode(to))"
        let body: HTML = """
        <form class="filters noprint" method="get" action="/ui/report">
        <label>From <input type="date" name="from" value="\(from)"></label>
        <label>To (inclusive) <input type="date" name="to" value="\(to)"></label>
        <button type="submit">Show</button>
        <a href="/ui/report.csv?\(query)">CSV</a> <a href="/ui/report.json?\(query)">JSON</a>
        </form>
        \(reportBody(r))
        """
        return Layout.page("Transparency report", tab: .report, session: session, node: node, flash: error.map { .init(text: $0, isError: true) }, body: body)
    }

    /// A whole HTML document of the report, with its stylesheet inline: `coalition report --format html`.
    public static func standaloneReport(_ r: TransparencyReport, nodeName: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Coalition transparency report \(HTML.escape(r.from)) – \(HTML.escape(r.to))</title>
        <style>\(Assets.css)</style></head>
        <body><main><h1>Coalition transparency report</h1><p class="muted">Generated by \(HTML.escape(nodeName)).</p>
        \(reportBody(r).text)
        </main></body></html>
        """
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
