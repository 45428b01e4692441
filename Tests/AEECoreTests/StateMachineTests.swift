import Testing
@testable import AEECore

@Suite("the state machine")
struct StateMachineTests {
    @Test("the lifecycle moves are legal and named")
    func legalMoves() {
        #expect(StateMachine.event(from: .draft, to: .approved) == "approved")
        #expect(StateMachine.event(from: .approved, to: .queued) == "queued")
        #expect(StateMachine.event(from: .queued, to: .running) == "started")
        for end in [TaskState.succeeded, .failed, .blocked, .canceled] {
            #expect(StateMachine.event(from: .running, to: end) != nil)
        }
        #expect(StateMachine.event(from: .blocked, to: .queued) == "requeued")
    }

    @Test("every unfinished state may be canceled; finished states move nowhere")
    func cancelAndFinal() {
        for state in [TaskState.draft, .approved, .queued, .running, .blocked] {
            #expect(StateMachine.event(from: state, to: .canceled) == "canceled")
            #expect(!state.isFinal)
        }
        for state in [TaskState.succeeded, .failed, .canceled] {
            #expect(state.isFinal)
            #expect(TaskState.allCases.allSatisfy { StateMachine.event(from: state, to: $0) == nil })
        }
    }

    @Test("skipping a step or going back is illegal")
    func illegalMoves() {
        #expect(StateMachine.event(from: .draft, to: .running) == nil)
        #expect(StateMachine.event(from: .approved, to: .draft) == nil)
        #expect(StateMachine.event(from: .queued, to: .succeeded) == nil)
        #expect(StateMachine.event(from: .draft, to: .draft) == nil)
        // Exactly the documented set of moves, no more.
        let count = TaskState.allCases.flatMap { from in TaskState.allCases.filter { StateMachine.event(from: from, to: $0) != nil } }.count
        #expect(count == 12)
    }

    @Test("states are read as a user types them")
    func userInput() {
        #expect(TaskState(userInput: "draft") == .draft)
        #expect(TaskState(userInput: "Canceled") == .canceled)
        #expect(TaskState(userInput: "done") == nil)
    }
}
