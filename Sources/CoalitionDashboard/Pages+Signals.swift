import CoalitionCore
import CoalitionQuery
import CoalitionStore

extension Pages {
    /// The signals page's filter fields, as given (echoed back into the form).
    struct SignalQuery {
        var kind = "", category = "", member = "", severity = "", status = "active", label = "", text = ""

        init(_ q: FormBody) {
            kind = q.trimmed("kind") ?? ""
            category = q.trimmed("category") ?? ""
            member = q.trimmed("member") ?? ""
            severity = q.trimmed("severity") ?? ""
            status = q.trimmed("status") ?? "active"
            label = q.trimmed("label") ?? ""
            text = q.trimmed("q") ?? ""
        }

        /// The query string of these filters, for the next page's link.
        var queryString: String {
            [("kind", kind), ("category", category), ("member", member), ("severity", severity), ("status", status), ("label", label), ("q", text)]
                .filter { !$0.1.isEmpty }.map { "\($0.0)=\(urlEncode($0.1))" }.joined(separator: "&")
        }
    }

    static func signals(_ q: SignalQuery, views: [SignalView], next: String?, members: [DashboardMember], error: String?,
                        session: Session, node: (name: String, id: String)) -> HTML {
        func options(_ values: [(String, String)], selected: String) -> HTML {
            HTML.join(values.map { v, label in "<option value=\"\(v)\"\(v == selected ? HTML(trusted: " selected") : "")>\(label)</option>" })
        }
        let kinds = [("", "any")] + SignalKind.known.map { ($0.name, $0.name) }
        let severities = [("", "any"), ("critical", "critical"), ("high", "high"), ("medium", "medium"), ("low", "low")]
        let statuses = SignalSearch.Status.allCases.map { ($0.rawValue, $0.rawValue) }
        let memberOptions = [("", "any")] + members.map { ($0.id, $0.name) } + [(node.id, node.name + " (this node)")]
        let rows: [[HTML]] = views.map { v in
            [
                "<span class=\"muted\">\(v.publishedAt)</span>", "\(v.kind)", signalLink(v.id, clip(v.value)), "\(v.category)",
                Layout.severity(v.severity), "\(v.status)", "\(v.verdict)", "\(v.authorName)",
            ]
        }
        let pager: HTML = next.map { "<p class=\"pager\"><a id=\"next-page\" href=\"/ui/signals?\(q.queryString.isEmpty ? "" : q.queryString + "&")after=\(urlEncode($0))\">Older signals →</a></p>" } ?? ""
        let body: HTML = """
        <form class="filters" method="get" action="/ui/signals">
        <label>Kind <select name="kind">\(options(kinds, selected: q.kind))</select></label>
        <label>Category <input name="category" value="\(q.category)" placeholder="e.g. protection_of_minors"></label>
        <label>Member <select name="member">\(options(memberOptions, selected: q.member))</select></label>
        <label>Severity <select name="severity">\(options(severities, selected: q.severity))</select></label>
        <label>Status <select name="status">\(options(statuses, selected: q.status))</select></label>
        <label>Label <input name="label" value="\(q.label)"></label>
        <label>Text <input name="q" id="search-text" value="\(q.text)" placeholder="part of the value or note"></label>
        <button type="submit" id="search">Search</button>
        </form>
        \(table(["Published", "Kind", "Value", "Category", "Severity", "Status", "Verdict", "By"], rows, id: "signals", empty: "No signal matches."))
        \(pager)
        """
        return Layout.page("Signals", tab: .signals, session: session, node: node, flash: error.map { .init(text: $0, isError: true) }, body: body)
    }

    /// The detail of one signal: its fields, sources, opinions, verdict, retraction and the
    /// entries behind them.
    static func signal(_ v: SignalView, chain: [(role: String, entry: Entry?)], override: String?, session: Session,
                       node: (name: String, id: String), flash: Layout.Flash?) -> HTML {
        let sources: [[HTML]] = v.sources.map { s in
            [signalLink(s.signal, String(s.signal.prefix(16)) + "…"), "\(s.authorName)", "\(s.publishedAt)", "\(s.status)"]
        }
        let opinions: [[HTML]] = v.opinions.map { o in ["\(o.authorName)", "\(o.stance)", Layout.note(o.note, category: v.category), "\(o.at)"] }
        let entries: [[HTML]] = chain.map { c in
            guard let e = c.entry else { return ["\(c.role)", "<span class=\"muted\">not stored</span>", "", "", ""] }
            return ["\(c.role)", "<code>\(e.id.hex)</code>", "\(MemberID(publicKey: e.author).short) #\(Int(e.seq))", "<code>\(e.prev.hex)</code>", "\(SignalView.time(e.timestamp))"]
        }
        let overrideForms: HTML
        if session.isAdmin {
            overrideForms = """
            <form method="post" action="/ui/overrides" class="inline">\(Layout.csrfField(session))
            <input type="hidden" name="kind" value="\(v.kind)"><input type="hidden" name="value" value="\(v.value)">
            <input type="hidden" name="back" value="/ui/signals/\(v.id)">
            <input type="hidden" name="action" value="ignore"><button type="submit" class="secondary" id="override-ignore">Ignore here</button></form>
            <form method="post" action="/ui/overrides" class="inline">\(Layout.csrfField(session))
            <input type="hidden" name="kind" value="\(v.kind)"><input type="hidden" name="value" value="\(v.value)">
            <input type="hidden" name="back" value="/ui/signals/\(v.id)">
            <input type="hidden" name="action" value="flag"><button type="submit" class="secondary" id="override-flag">Always flag here</button></form>
            """
        } else {
            overrideForms = "<span class=\"muted\">An admin token can set overrides.</span>"
        }
        let body: HTML = """
        <div class="cards"><div class="card"><dl class="facts" id="signal-facts">
        <dt>Value</dt><dd class="mono" id="signal-value">\(v.value)</dd>
        <dt>Kind</dt><dd>\(v.kind)</dd>
        <dt>Category</dt><dd>\(v.category)</dd>
        <dt>Severity</dt><dd>\(Layout.severity(v.severity))</dd>
        <dt>TLP</dt><dd>\(v.tlp)\(v.restricted ? " (restricted)" : "")</dd>
        <dt>Labels</dt><dd>\(v.labels.joined(separator: ", "))</dd>
        <dt>Status</dt><dd id="signal-status">\(v.status)</dd>
        <dt>Verdict</dt><dd id="signal-verdict">\(v.verdict)</dd>
        <dt>Published by</dt><dd>\(v.authorName) <code>\(v.author)</code></dd>
        <dt>Published at</dt><dd>\(v.publishedAt)</dd>
        <dt>Expires</dt><dd>\(v.expiresAt ?? "never")</dd>
        <dt>Quality</dt><dd>\(v.quality.map(String.init) ?? "")</dd>
        <dt>Note</dt><dd id="signal-note">\(Layout.note(v.note, category: v.category))</dd>
        <dt>Retraction</dt><dd>\(v.retractionReason.map { "retracted: " + $0 } ?? "not retracted")</dd>
        <dt>Override here</dt><dd id="signal-override">\(override ?? "none")</dd>
        </dl></div></div>
        <h2>Override</h2><p>\(overrideForms)</p>
        <h2>Sources</h2>
        \(table(["Signal", "Member", "Published", "Status"], sources, id: "sources"))
        <h2>Opinions</h2>
        \(table(["Member", "Stance", "Note", "At"], opinions, id: "opinions", empty: "No opinion yet."))
        <h2>Entry chain</h2>
        \(table(["Role", "Entry ID", "Author, sequence", "Previous entry", "Signed at"], entries, id: "chain"))
        """
        return Layout.page("Signal", tab: .signals, session: session, node: node, flash: flash, body: body)
    }
}
