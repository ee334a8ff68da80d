import CoalitionCore
import CoalitionCrypto
import CoalitionGossip
import CoalitionStore
import Foundation

extension Pages {
    /// What the overview shows.
    struct Overview {
        var peers: [PeerStatus]?
        var members: Int
        var counts: OverviewCounts
        /// The disputed signals' values, by ID, when still stored.
        var disputedValues: [EntryID: (kind: String, value: String)]
        var name: (PublicKey) -> String
        var today: Int64
        var days = 30
        var countedAt: String
    }

    static func overview(_ o: Overview, session: Session, node: (name: String, id: String)) -> HTML {
        let peers: HTML
        if let list = o.peers {
            peers = table(["Peer", "Member ID", "State", "Last sync", "Entries behind", "Ahead", "Bytes in", "Bytes out", "Last error"].map { HTML(stringLiteral: $0) },
                          list.map { p in
                [
                    "\(p.name)", "<code>\(String(p.id.prefix(16)))…</code>",
                    p.connected ? "<span class=\"ok\">connected</span> <span class=\"muted\">\(p.direction ?? "")</span>" : "<span class=\"bad\">not connected</span>",
                    "\(Layout.ago(p.lastSync))", "\(p.behind)", "\(p.ahead)", "\(Layout.bytes(p.bytesIn))", "\(Layout.bytes(p.bytesOut))",
                    "\(p.lastError ?? "")",
                ]
            }, id: "peers", empty: "No peers configured.")
        } else {
            peers = "<p class=\"muted\">Gossip did not answer.</p>"
        }
        func countTable(_ title: String, _ counts: [String: Int], id: String) -> HTML {
            let rows: [[HTML]] = counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ["\($0.key)", num($0.value)] }
            return "<div class=\"card\"><h2>\(title)</h2>\(table(["Name", "Signals"], rows, id: id))</div>"
        }
        let severityOrder = ["critical", "high", "medium", "low"]
        let severityRows: [[HTML]] = severityOrder.compactMap { s in o.counts.bySeverity[s].map { [Layout.severity(s), num($0)] } }
        // The chart: the last `days` days, one series per member.
        let firstDay = o.today - Int64(o.days) + 1
        let dayLabels = (0..<o.days).map { i -> String in
            let d = Date(timeIntervalSince1970: Double(firstDay + Int64(i)) * 86_400)
            let f = DateFormatter()
            f.dateFormat = "MM-dd"
            f.timeZone = TimeZone(identifier: "UTC")
            return f.string(from: d)
        }
        var authors: [PublicKey] = []
        for d in o.counts.daily where d.day >= firstDay && !authors.contains(d.author) { authors.append(d.author) }
        authors.sort { o.name($0) < o.name($1) }
        func series(_ value: (OverviewCounts.Day) -> Int) -> [(name: String, values: [Int])] {
            authors.map { a in
                var values = Array(repeating: 0, count: o.days)
                for d in o.counts.daily where d.author == a && d.day >= firstDay && d.day <= o.today { values[Int(d.day - firstDay)] += value(d) }
                return (o.name(a), values)
            }
        }
        let disputed: [[HTML]] = o.counts.disputed.map { d in
            let v = o.disputedValues[d.signal]
            return [signalLink(d.signal.hex, v.map { clip($0.value, 50) } ?? String(d.signal.hex.prefix(16))), "\(v?.kind ?? "")", num(d.disputes)]
        }
        let equivocators: [[HTML]] = o.counts.equivocators.map { ["\(o.name($0))", "<code>\(MemberID(publicKey: $0).description)</code>"] }
        let body: HTML = """
        <div class="cards">
        <div class="card"><h2>Signals</h2><div class="big" id="signal-count">\(o.counts.signals)</div>
        <div class="muted">\(o.counts.active) active · counted \(o.countedAt)</div></div>
        <div class="card"><h2>Peers</h2><div class="big">\(o.peers?.filter(\.connected).count ?? 0) / \(o.peers?.count ?? 0)</div>
        <div class="muted">connected · \(o.members) members accepted</div></div>
        <div class="card"><h2>Disputed</h2><div class="big">\(o.counts.disputed.count)</div><div class="muted">signals with a dispute (top 20)</div></div>
        <div class="card"><h2>Equivocators</h2><div class="big \(o.counts.equivocators.isEmpty ? "" : "bad")">\(o.counts.equivocators.count)</div>
        <div class="muted">members flagged for two entries at one sequence number</div></div>
        </div>
        <h2>Members and peers</h2>
        \(peers)
        <h2>Published per day, last \(o.days) days, by member</h2>
        \(Chart.stacked(title: "Signals published per day by member", labels: dayLabels, series: series(\.published)))
        <h2>Retracted per day, last \(o.days) days, by member</h2>
        \(Chart.stacked(title: "Signals retracted per day by member", labels: dayLabels, series: series(\.retracted), height: 120))
        <div class="cards">
        \(countTable("By kind", o.counts.byKind, id: "by-kind"))
        \(countTable("By category", o.counts.byCategory, id: "by-category"))
        <div class="card"><h2>By severity</h2>\(table(["Severity", "Signals"], severityRows, id: "by-severity"))</div>
        </div>
        <h2>Disputed signals</h2>
        \(table(["Signal", "Kind", "Disputes"], disputed, id: "disputed", empty: "No signal is disputed."))
        <h2>Flagged equivocators</h2>
        \(table(["Member", "ID"], equivocators, id: "equivocators", empty: "No member is flagged."))
        """
        return Layout.page("Overview", tab: .overview, session: session, node: node, body: body)
    }
}
