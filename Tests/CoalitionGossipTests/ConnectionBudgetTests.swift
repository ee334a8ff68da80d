@testable import CoalitionGossip
import Testing

@Suite struct ConnectionBudgetTests {
    @Test func aBudgetAdmitsUpToItsLimitAndTakesBackWhatIsReleased() {
        let budget = ConnectionBudget(limit: 2)
        #expect(budget.admit() && budget.admit())
        #expect(!budget.admit(), "the third connection is refused")
        #expect(budget.inUse == 2)
        budget.release()
        #expect(budget.admit())
        budget.release(); budget.release(); budget.release()
        #expect(budget.inUse == 0, "never below zero")
    }

    @Test func theDefaultLeavesTheReserveFree() {
        let budget = ConnectionBudget(reserve: 32)
        #expect(budget.limit >= 4)
        #expect(budget.limit <= ConnectionBudget.softDescriptorLimit() - 32 || budget.limit == 4)
    }
}
