import CoalitionAlert
import CoalitionQuery
import CoalitionStore

extension Pages {
    static func overrides(_ list: [LocalOverride], session: Session, node: (name: String, id: String), flash: Layout.Flash?) -> HTML {
        let rows: [[HTML]] = list.map { o in
            let remove: HTML = session.isAdmin ? """
                <form method="post" action="/ui/overrides/remove" class="inline">\(Layout.csrfField(session))
                <input type="hidden" name="kind" value="\(o.kind)"><input type="hidden" name="value" value="\(o.value)">
                <button type="submit" class="secondary">Clear</button></form>
                """ : ""
            return ["\(o.kind)", "<code>\(o.value)</code>", "\(o.action.rawValue)", "\(o.note ?? "")", "\(SignalView.time(o.createdAt))", remove]
        }
        let form: HTML = session.isAdmin ? """
            <h2>Set an override</h2>
            <form class="filters" method="post" action="/ui/overrides">\(Layout.csrfField(session))
            <label>Kind <select name="kind">\(HTML.join(["pdq", "md5", "sha256", "url", "trend"].map { "<option>\($0)</option>" }))</select></label>
            <label>Value <input name="value" required size="50"></label>
            <label>Action <select name="action"><option value="ignore">ignore (hide matches here)</option><option value="flag">flag (always report)</option></select></label>
            <label>Note <input name="note" size="30"></label>
            <button type="submit">Set</button></form>
            """ : "<p class=\"muted\">An admin token can set and clear overrides.</p>"
        let body: HTML = """
        <p>Overrides are this node's own decisions about indicators. They are never shared with other members.</p>
        \(table(["Kind", "Value", "Action", "Note", "Set at", ""], rows, id: "overrides", empty: "No override."))
        \(form)
        """
        return Layout.page("Overrides", tab: .overrides, session: session, node: node, flash: flash, body: body)
    }

    static func members(_ list: [DashboardMember], peers: [String: Bool], session: Session, node: (name: String, id: String), flash: Layout.Flash?) -> HTML {
        let rows: [[HTML]] = list.map { m in
            let remove: HTML = session.isAdmin ? """
                <form method="post" action="/ui/members/remove" class="inline">\(Layout.csrfField(session))
                <input type="hidden" name="id" value="\(m.id)"><button type="submit" class="secondary">Remove…</button></form>
                """ : ""
            let state: HTML = peers[m.id].map { $0 ? "<span class=\"ok\">connected</span>" : "<span class=\"bad\">not connected</span>" } ?? "<span class=\"muted\">not dialled by this node</span>"
            return ["\(m.name)", "<code>\(m.id)</code>", "\(m.address ?? "")", state, remove]
        }
        let form: HTML = session.isAdmin ? """
            <h2>Add a member</h2>
            <form class="filters" method="post" action="/ui/members/add">\(Layout.csrfField(session))
            <label>Member ID <input name="id" required size="60" placeholder="the ID its admin gave you"></label>
            <label>Name <input name="name" required></label>
            <label>Peer address (optional) <input name="address" placeholder="host:port"></label>
            <button type="submit">Add…</button></form>
            """ : "<p class=\"muted\">An admin token can add and remove members.</p>"
        let body: HTML = """
        \(table(["Name", "Member ID", "Peer address", "State", ""], rows, id: "members", empty: "No member: every valid author is accepted, and no peer may connect."))
        \(form)
        """
        return Layout.page("Members and peers", tab: .members, session: session, node: node, flash: flash, body: body)
    }

    /// The confirmation step of adding or removing a member: the same form again, with
    /// `confirm=yes`.
    static func confirm(_ title: String, question: String, action: String, fields: [(String, String)], session: Session,
                        node: (name: String, id: String)) -> HTML {
        let hidden = HTML.join(fields.map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\($0.1)\">" })
        return Layout.page(title, tab: .members, session: session, node: node, body: """
        <div class="card"><p>\(question)</p>
        <form method="post" action="\(action)" class="inline">\(Layout.csrfField(session))\(hidden)
        <input type="hidden" name="confirm" value="yes"><button type="submit" class="danger" id="confirm">Yes, do it</button></form>
        <a href="/ui/members">Cancel</a></div>
        """)
    }

    static func deliveries(_ endpoints: [EndpointDeliveries]?, rules: [AlertRule],
                           session: Session, node: (name: String, id: String)) -> HTML {
        guard let endpoints else {
            return Layout.page("Deliveries", tab: .deliveries, session: session, node: node, body: "<p class=\"muted\">Alerting is not enabled on this node.</p>")
        }
        let eRows: [[HTML]] = endpoints.map { d in
            ["\(d.endpoint)", "<code>\(d.url)</code>", num(d.pending), num(d.delivered), num(d.dead), num(d.dropped),
             "\(Layout.ago(d.lastDeliveredAt))", "\(d.lastError ?? "")"]
        }
        let rRows: [[HTML]] = rules.map { r in
            ["\(r.name)", "\(r.source ?? "")", "\(r.destination)", "\(r.events.isEmpty ? "every event" : r.events.map { "\($0)" }.joined(separator: ", "))"]
        }
        let body: HTML = """
        <h2>Webhook endpoints</h2>
        \(table(["Endpoint", "URL", "Backlog", "Delivered", "Dead", "Dropped", "Last delivery", "Last error"], eRows, id: "endpoints", empty: "No endpoint (coalition webhooks add)."))
        <h2>Rules</h2>
        \(table(["Rule", "Source", "Destination", "Events"], rRows, id: "rules", empty: "No rule (coalition rules add)."))
        """
        return Layout.page("Deliveries", tab: .deliveries, session: session, node: node, body: body)
    }

    static func live(recent: [SignalView], session: Session, node: (name: String, id: String)) -> HTML {
        let rows: [[HTML]] = recent.map { v in
            ["\(v.publishedAt)", "\(v.kind)", signalLink(v.id, clip(v.value)), "\(v.category)", Layout.severity(v.severity), "\(v.authorName)"]
        }
        let head = HTML.join(["Published", "Kind", "Value", "Category", "Severity", "By"].map { "<th>\($0)</th>" })
        let body: HTML = """
        <p>Critical signals, newest first. New ones appear here within a second of arriving (this needs JavaScript;
        without it, reload the page). <span id="live-status" class="muted">connecting…</span></p>
        <table id="live"><thead><tr>\(head)</tr></thead><tbody id="live-rows">\(rows.isEmpty ? "<tr id=\"live-empty\"><td colspan=\"6\" class=\"muted\">No critical signal yet.</td></tr>" : HTML.join(rows.map { r in "<tr>\(HTML.join(r.map { "<td>\($0)</td>" }))</tr>" }))</tbody></table>
        <script src="/ui/assets/live.js"></script>
        """
        return Layout.page("Live", tab: .live, session: session, node: node, body: body)
    }
}
