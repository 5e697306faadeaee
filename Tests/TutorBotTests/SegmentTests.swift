import PluginAPI
import Testing

@testable import TutorBot

/// Seed 001's `detect_segment`, branch by branch.
@Suite("detect_segment")
struct SegmentTests {
    @Test("a cached segment wins, including premium and custom ones")
    func cached() {
        #expect(Segment.detect(["segment": "premium", "weekend_whitelisted": "true"]) == ("premium", true))
        #expect(Segment.detect(["segment": "custom"]) == ("custom", true))
    }

    @Test("weekend whitelist, then returning broadcast, then existing indicators, then new")
    func priority() {
        #expect(Segment.detect(["weekend_whitelisted": "true", "returning_broadcast": "true", "lesson_booked": "true"]) == ("weekend", false))
        #expect(Segment.detect(["returning_broadcast": true, "customer_since": "2024-09-01"]) == ("returning_broadcast", false))
        for indicator in Segment.existingIndicators {
            #expect(Segment.detect([indicator: "true"]) == ("existing", false), "\(indicator)")
        }
        #expect(Segment.detect(["customer_status": "active"]) == ("existing", false))
        #expect(Segment.detect(["customer_status": "lapsed"]) == ("new", false))
        #expect(Segment.detect([:]) == ("new", false))
    }

    @Test("empty and false-like flags are not set")
    func falsy() {
        #expect(Segment.detect(["weekend_whitelisted": "false", "has_paid_lesson": "", "lesson_booked": false, "segment": ""]) == ("new", false))
    }
}
