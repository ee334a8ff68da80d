/// Bar charts drawn as SVG on the server: presentation attributes only (the CSP allows no
/// inline style), no script.
enum Chart {
    static let colors = ["#1f5fbf", "#2e9e6a", "#c2620a", "#7b4bb7", "#b3261e", "#3a8fa8", "#8a6d00", "#666666"]

    /// Stacked bars, one per label, one colour per series; `title` is read by screen readers.
    static func stacked(title: String, labels: [String], series: [(name: String, values: [Int])], width: Int = 900, height: Int = 170) -> HTML {
        let totals = labels.indices.map { i in series.reduce(0) { $0 + ($1.values.indices.contains(i) ? $1.values[i] : 0) } }
        let top = max(1, totals.max() ?? 1)
        let left = 40, bottom = 22, plotH = height - bottom - 8
        let slot = Double(width - left) / Double(max(1, labels.count))
        var bars = ""
        for i in labels.indices {
            var y = Double(height - bottom)
            for (s, serie) in series.enumerated() {
                let v = serie.values.indices.contains(i) ? serie.values[i] : 0
                guard v > 0 else { continue }
                let h = Double(v) / Double(top) * Double(plotH)
                y -= h
                let x = Double(left) + Double(i) * slot + 1
                bars += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(max(1, slot - 2)))\" height=\"\(fmt(h))\" fill=\"\(colors[s % colors.count])\">"
                bars += "<title>\(HTML.escape(serie.name)) \(HTML.escape(labels[i])): \(v)</title></rect>"
            }
        }
        var axis = "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width)\" y2=\"\(height - bottom)\" stroke=\"#999\"/>"
        axis += "<text x=\"\(left - 4)\" y=\"14\" text-anchor=\"end\" font-size=\"11\" fill=\"#5b6577\">\(top)</text>"
        axis += "<text x=\"\(left - 4)\" y=\"\(height - bottom)\" text-anchor=\"end\" font-size=\"11\" fill=\"#5b6577\">0</text>"
        let every = max(1, labels.count / 8)
        for i in stride(from: 0, to: labels.count, by: every) {
            let x = Double(left) + (Double(i) + 0.5) * slot
            axis += "<text x=\"\(fmt(x))\" y=\"\(height - 6)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5b6577\">\(HTML.escape(labels[i]))</text>"
        }
        let legend = HTML.join(series.enumerated().map { s, serie in
            "<span><span class=\"swatch sw\(s % colors.count)\"></span>\(serie.name)</span>"
        })
        return """
        <figure class="chart"><svg viewBox="0 0 \(width) \(height)" width="100%" role="img" aria-label="\(title)" xmlns="http://www.w3.org/2000/svg">\
        <title>\(title)</title>\(HTML(trusted: axis + bars))</svg><figcaption class="legend">\(legend)</figcaption></figure>
        """
    }

    static func fmt(_ v: Double) -> String { String(Int((v * 10).rounded())) .inserting(decimalAt: 1) }
}

extension String {
    /// "123" → "12.3": a tenth-precision number without Foundation's formatter.
    fileprivate func inserting(decimalAt places: Int) -> String {
        var digits = self
        let negative = digits.hasPrefix("-")
        if negative { digits.removeFirst() }
        while digits.count <= places { digits = "0" + digits }
        let cut = digits.index(digits.endIndex, offsetBy: -places)
        return (negative ? "-" : "") + digits[..<cut] + "." + digits[cut...]
    }
}
