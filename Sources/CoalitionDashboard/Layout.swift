import Foundation

/// The page chrome: head, navigation, the signed-in user and the logout form.
enum Layout {
    enum Tab: String, CaseIterable {
        case overview, signals, live, overrides, members, deliveries, report

        var title: String {
            switch self {
            case .overview: "Overview"
            case .signals: "Signals"
            case .live: "Live"
            case .overrides: "Overrides"
            case .members: "Members"
            case .deliveries: "Deliveries"
            case .report: "Report"
            }
        }

        var path: String { self == .overview ? "/ui" : "/ui/" + rawValue }
    }

    /// A message shown above the page's content.
    struct Flash {
        var text: String
        var isError = false
    }

    static func page(_ title: String, tab: Tab?, session: Session?, node: (name: String, id: String)?, flash: Flash? = nil, body: HTML) -> HTML {
        let nav: HTML
        if let session {
            let links = HTML.join(Tab.allCases.map { t in
                "<a href=\"\(t.path)\"\(t == tab ? HTML(trusted: " class=\"on\" aria-current=\"page\"") : "")>\(t.title)</a>"
            })
            nav = """
            <nav>\(links)</nav>
            <form method="post" action="/ui/logout"><span class="who">\(session.tokenName)\(session.isAdmin ? " (admin)" : "")</span>\
            <input type="hidden" name="csrf" value="\(session.csrf)"><button type="submit" id="logout">Log out</button></form>
            """
        } else {
            nav = ""
        }
        let nodeLine: HTML = node.map { "<span class=\"node\">\($0.name) · <code>\(String($0.id.prefix(16)))…</code></span>" } ?? ""
        let flashHTML: HTML = flash.map { "<p class=\"flash\($0.isError ? " error" : "")\" role=\"status\">\($0.text)</p>" } ?? ""
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · Coalition</title><link rel="stylesheet" href="/ui/assets/style.css"></head>
        <body><header><span class="brand">Coalition</span>\(nodeLine)\(nav)</header>
        <main>\(flashHTML)<h1>\(title)</h1>
        \(body)
        </main></body></html>
        """
    }

    static func csrfField(_ session: Session) -> HTML { "<input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\">" }

    /// "3 min ago" style, from milliseconds since the epoch.
    static func ago(_ ms: Int64?, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> String {
        guard let ms else { return "never" }
        let s = max(0, (now - ms) / 1000)
        if s < 60 { return "\(s) s ago" }
        if s < 3600 { return "\(s / 60) min ago" }
        if s < 86_400 { return "\(s / 3600) h ago" }
        return "\(s / 86_400) d ago"
    }

    static func bytes(_ n: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), i = 0
        while v >= 1024, i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
    }

    /// Categories whose notes are hidden until clicked (moderator well-being): child safety and
    /// terrorism.
    static func hidesNote(_ category: String) -> Bool {
        let top = category.split(separator: "/").first.map(String.init) ?? category
        return top == "protection_of_minors" || category.contains("terrorist_content") || category.contains("/tvec_")
    }

    /// A note, inside a closed `<details>` for the sensitive categories (works without script).
    static func note(_ note: String?, category: String) -> HTML {
        guard let note, !note.isEmpty else { return "<span class=\"muted\">none</span>" }
        guard hidesNote(category) else { return "\(note)" }
        return "<details class=\"hidden-note\"><summary>Note hidden (sensitive category): show</summary>\(note)</details>"
    }

    static func severity(_ s: String) -> HTML { "<span class=\"sev-\(s)\">\(s)</span>" }
}
