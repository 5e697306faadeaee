import Testing

@testable import TutorBot

/// Reading customer text.
@Suite("Intents")
struct IntentsTests {
    @Test("language from the first message, with the tenant's language on a tie")
    func language() {
        #expect(Intents.language(of: "Hoi, ik wil graag bijles") == "nl")
        #expect(Intents.language(of: "Hello, I would like tutoring") == "en")
        #expect(Intents.language(of: "👋", fallback: "en") == "en")
    }

    @Test("first names, yes/no, menu choices, formats and phone numbers")
    func parsing() {
        #expect(Intents.firstName(from: "Ik ben sam") == "Sam")
        #expect(Intents.firstName(from: "my name is Eva de Vries") == "Eva")
        #expect(Intents.firstName(from: "12345") == nil)
        #expect(Intents.yesNo("JA") == true && Intents.yesNo("yes please") == true && Intents.yesNo("Nee") == false)
        #expect(Intents.yesNo("misschien") == nil)
        #expect(Intents.choice(" 2. ", count: 3) == 2 && Intents.choice("4", count: 3) == nil)
        #expect(Intents.choice("ik wil betalen", count: 3, keywords: [2: ["betal"]]) == 2)
        #expect(Intents.format("Online graag") == "online" && Intents.format("op locatie") == "offline" && Intents.format("?") == nil)
        #expect(Intents.phone("06-12345678") == "+31612345678" && Intents.phone("+31 6 1234 5678") == "+31612345678")
        #expect(Intents.phone("0031612345678") == "+31612345678" && Intents.phone("hallo") == nil)
    }
}
