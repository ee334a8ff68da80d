import CoalitionCore
import CoalitionCrypto
import CoalitionGossip
import CoalitionQuery
import CoalitionStore
import Foundation

/// The dashboard's pages as pure functions from what they show to HTML; one extension per page.
enum Pages {
    static func login(error: String?, loginCSRF: String) -> HTML {
        Layout.page("Log in", tab: nil, session: nil, node: nil, flash: error.map { .init(text: $0, isError: true) }, body: """
        <div class="login card"><form method="post" action="/ui/login">
        <input type="hidden" name="csrf" value="\(loginCSRF)">
        <p>Log in with an API token of this node (<code>coalition tokens create</code>). Read-only pages need the
        <code>lookup</code> scope; changes need <code>admin</code>.</p>
        <label>API token <input type="password" name="token" id="token" autocomplete="off" required autofocus></label>
        <p><button type="submit" id="login">Log in</button></p></form></div>
        """)
    }

    static func message(_ title: String, _ text: String, session: Session?, node: (name: String, id: String)?) -> HTML {
        Layout.page(title, tab: nil, session: session, node: node, body: "<p>\(text)</p><p><a href=\"/ui\">Back to the overview</a></p>")
    }

    /// A table from header cells and rows of cells (already HTML).
    static func table(_ header: [HTML], _ rows: [[HTML]], id: String? = nil, empty: String = "Nothing yet.") -> HTML {
        let head = HTML.join(header.map { "<th>\($0)</th>" })
        let body = rows.isEmpty
            ? "<tr><td colspan=\"\(header.count)\" class=\"muted\">\(empty)</td></tr>"
            : HTML.join(rows.map { r in "<tr>\(HTML.join(r.map { "<td>\($0)</td>" }))</tr>" })
        let idAttr: HTML = id.map { " id=\"\($0)\"" } ?? ""
        return "<table\(idAttr)><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
    }

    static func num(_ n: Int) -> HTML { "<span class=\"num\">\(n)</span>" }

    static func signalLink(_ id: String, _ text: String) -> HTML { "<a href=\"/ui/signals/\(id)\" class=\"mono\">\(text)</a>" }

    static func clip(_ s: String, _ n: Int = 60) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }
}
