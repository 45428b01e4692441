import AEECore

/// The report's pictures, as inline SVG: the attempts in the shape `git log --graph` shows them (the task branch along
/// the bottom, each attempt branching off it with a dot per work item and merging back), and the cost per iteration.
enum ReportGraph {
    static func attempts(_ story: TaskStory) -> String {
        let step = 140
        let width = 40 + story.iterations.count * step
        var svg = "<svg class=\"attempts\" role=\"img\" aria-label=\"attempts\" width=\"\(width)\" height=\"110\" viewBox=\"0 0 \(width) 110\">\n"
        svg += "<line x1=\"20\" y1=\"90\" x2=\"\(width - 20)\" y2=\"90\" stroke=\"#888\" stroke-width=\"2\"/>\n"
        for (index, iteration) in story.iterations.enumerated() {
            let start = 20 + index * step
            let end = start + step
            let color = self.color(iteration.end)
            svg += "<path d=\"M\(start) 90 C\(start + 20) 90 \(start + 20) 30 \(start + 40) 30 L\(end - 40) 30"
                + (iteration.end == nil ? "" : " C\(end - 20) 30 \(end - 20) 90 \(end) 90") + "\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            let items = max(iteration.workItems.count, 1)
            for (position, item) in iteration.workItems.enumerated() {
                let x = start + 40 + (step - 80) * (position + 1) / (items + 1)
                svg += "<circle cx=\"\(x)\" cy=\"30\" r=\"4\" fill=\"\(item.status == "done" ? color : "#cf222e")\"><title>\(ReportPage.escape(item.id + ": " + item.status))</title></circle>\n"
            }
            svg += "<circle cx=\"\(end)\" cy=\"90\" r=\"6\" fill=\"\(color)\"><title>iteration \(iteration.number): \(ReportPage.escape(iteration.end?.verdict ?? "running"))</title></circle>\n"
            svg += "<text x=\"\(start + step / 2)\" y=\"18\" font-size=\"11\" text-anchor=\"middle\">\(iteration.number): \(ReportPage.escape(iteration.end?.verdict ?? "running"))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// A bar per iteration, as tall as its share of the costliest; a note instead when no agent reported a cost.
    static func costs(_ story: TaskStory) -> String {
        let amounts = story.iterations.map { $0.costUSD.map { Double($0.dollars) ?? 0 } }
        guard let most = amounts.compactMap({ $0 }).max(), most > 0 else { return "<p class=\"meta\">no agent reported a cost</p>\n" }
        let width = 40 + amounts.count * 50
        var svg = "<svg class=\"costs\" role=\"img\" aria-label=\"cost per iteration\" width=\"\(width)\" height=\"120\" viewBox=\"0 0 \(width) 120\">\n"
        for (index, amount) in amounts.enumerated() {
            let height = Int(((amount ?? 0) / most) * 80)
            let x = 20 + index * 50
            svg += "<rect x=\"\(x)\" y=\"\(95 - height)\" width=\"30\" height=\"\(height)\" fill=\"#0969da\"><title>iteration \(index + 1): \(amount.map { "$" + String($0) } ?? "unknown")</title></rect>\n"
            svg += "<text x=\"\(x + 15)\" y=\"112\" font-size=\"11\" text-anchor=\"middle\">\(index + 1)</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func color(_ end: TaskEvent.IterationEnd?) -> String {
        switch end {
        case .passed: "#1a7f37"
        case .failed: "#cf222e"
        case .stopped: "#9a6700"
        case nil: "#888"
        }
    }
}
