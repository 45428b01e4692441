@testable import AEECore
import Testing

@Suite("leases as an observer sees them")
struct LeaseWatchTests {
    let id = TaskID("abcd1234")!

    /// Feeds `sightings` (mark, observer's clock) to one watch; returns its verdict on each.
    func verdicts(_ sightings: [(String, Double)], seconds: Int = 60, forgetAfter: Int? = nil) -> [Bool] {
        var watch = LeaseWatch()
        return sightings.enumerated().map { index, sighting in
            if index == forgetAfter { watch.keep([]) }
            return watch.expired(id, mark: sighting.0, seconds: seconds, now: sighting.1)
        }
    }

    @Test("a lease expires only after standing still for its whole length on the observer's clock")
    func expiry() {
        // First sight starts the count, whatever the owner's clock said when it renewed.
        #expect(verdicts([("tip lease1", 1000), ("tip lease1", 1059), ("tip lease1", 1060)]) == [false, false, true])
    }

    @Test("a renewal or a new commit starts the count again")
    func renewal() {
        #expect(verdicts([("tip lease1", 0), ("tip lease2", 50), ("tip lease2", 100), ("tip2 lease2", 109), ("tip2 lease2", 169)])
                == [false, false, false, false, true])
    }

    @Test("a task forgotten and seen again waits a whole lease again")
    func forget() {
        #expect(verdicts([("m", 0), ("m", 100), ("m", 110)], seconds: 10, forgetAfter: 1) == [false, false, true])
    }
}
