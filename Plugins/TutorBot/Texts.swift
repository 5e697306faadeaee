import Foundation
import PluginAPI

/// The bot's texts in nl and en. The manifest's `texts: {nl: {key: text}, en: …}` overrides any of them;
/// `{name}`-style placeholders are filled in by `render`.
struct Texts {
    static let defaults: [String: [String: String]] = [
        "nl": [
            "ask_name": "Hallo! Welkom bij {tutor}'s bijles. Hoe heet je?",
            "welcome_menu": "Leuk je te spreken, {name}! Waarmee kan ik je helpen?\n1. Proefles aanvragen\n2. Betaling\n3. Informatie",
            "weekend_option": "4. Weekendkorting",
            "followup_menu": "Welkom terug, {name}! Wat wil je doen?\n1. Een les plannen\n2. Betaling\n3. Informatie",
            "reprompt": "Sorry, dat begreep ik niet. Antwoord met het nummer van een keuze:\n{menu}",
            "ask_level": "Op welk onderwijsniveau zit je? (bijv. vmbo, havo, vwo, mbo, hbo)",
            "ask_subject": "Voor welk vak wil je bijles?",
            "ask_year": "In welk jaar of leerjaar zit je?",
            "ask_format": "Wil je de les online of op locatie?",
            "ask_adult": "Ben je 18 jaar of ouder? (ja/nee)",
            "ask_guardian_name": "Omdat je jonger bent dan 18 hebben we toestemming van een ouder of voogd nodig. Wat is zijn of haar naam?",
            "ask_guardian_phone": "Wat is het telefoonnummer van {guardian}? (bijv. +31612345678)",
            "guardian_consent_request": "Hallo {guardian}, {name} wil bijles bij {tutor}. Geef je toestemming? Antwoord JA of NEE.",
            "guardian_asked": "Dank je! We hebben {guardian} om toestemming gevraagd. Zodra die er is, kunnen we een les plannen.",
            "guardian_thanks": "Dank u wel, de toestemming is vastgelegd.",
            "guardian_declined": "Duidelijk, er wordt geen les gepland.",
            "guardian_reask": "Antwoord alstublieft JA of NEE.",
            "consent_given": "Je ouder/voogd heeft toestemming gegeven. Typ 1 om een les te plannen.",
            "planning_refused": "Sorry, we kunnen pas een les plannen als je ouder of voogd toestemming heeft gegeven.",
            "intake_done": "Top, je gegevens zijn genoteerd! {tutor} neemt ze door.",
            "ask_times": "Wanneer komt het jou het beste uit? Noem bijv. een dag en ochtend, middag of avond.",
            "offer_slots": "Deze tijden zijn vrij:\n{slots}\nAntwoord met het nummer van je keuze.",
            "no_preferred_slots": "Op je voorkeurstijden is helaas niets vrij. Dit zijn de eerstvolgende tijden:\n{slots}\nAntwoord met het nummer van je keuze.",
            "no_slots": "Er zijn op dit moment geen tijden vrij. {tutor} neemt contact met je op.",
            "booked": "Je les staat gepland op {when}. Tot dan! De agenda-uitnodiging volgt hieronder.",
            "payment": "Je betaalt per les via een betaalverzoek dat je na de les ontvangt.",
            "info": "{tutor} geeft bijles in wiskunde, natuurkunde en scheikunde, online en op locatie.",
            "weekend_discount": "Je krijgt korting op lessen in het weekend. Typ 1 om een les te plannen.",
            "handover": "Ik geef je door aan {tutor}, die reageert zo snel mogelijk.",
            "notify_new_client": "Nieuwe klant: {name} ({level}, {subject}, jaar {year}, {format}).",
            "slot_taken": "Sorry, {when} is net bezet geraakt.",
            "lesson_description": "Bijles voor {name}: {subject}, {level}, jaar {year}, {format}. Gepland door TutorBot.",
            "notify_planning": "Planningsverzoek: {name} wil een les plannen.",
            "notify_booked": "Les geboekt: {name} op {when}.",
            "notify_handover": "Gesprek met {name} overgedragen: de bot begreep het niet.",
        ],
        "en": [
            "ask_name": "Hi! Welcome to {tutor}'s tutoring. What is your name?",
            "welcome_menu": "Nice to meet you, {name}! How can I help?\n1. Book a trial lesson\n2. Payment\n3. Information",
            "weekend_option": "4. Weekend discount",
            "followup_menu": "Welcome back, {name}! What would you like to do?\n1. Plan a lesson\n2. Payment\n3. Information",
            "reprompt": "Sorry, I did not understand that. Please answer with the number of an option:\n{menu}",
            "ask_level": "What is your level of education? (e.g. high school, college, university)",
            "ask_subject": "Which subject would you like tutoring in?",
            "ask_year": "Which year are you in?",
            "ask_format": "Would you like lessons online or in person?",
            "ask_adult": "Are you 18 or older? (yes/no)",
            "ask_guardian_name": "As you are under 18 we need consent from a parent or guardian. What is their name?",
            "ask_guardian_phone": "What is {guardian}'s phone number? (e.g. +31612345678)",
            "guardian_consent_request": "Hello {guardian}, {name} would like tutoring from {tutor}. Do you consent? Reply YES or NO.",
            "guardian_asked": "Thank you! We have asked {guardian} for consent. Once given, we can plan a lesson.",
            "guardian_thanks": "Thank you, your consent has been recorded.",
            "guardian_declined": "Understood, no lesson will be planned.",
            "guardian_reask": "Please reply YES or NO.",
            "consent_given": "Your parent or guardian has given consent. Type 1 to plan a lesson.",
            "planning_refused": "Sorry, we can only plan a lesson once your parent or guardian has given consent.",
            "intake_done": "Great, your details are noted! {tutor} will review them.",
            "ask_times": "When suits you best? Name e.g. a day and morning, afternoon or evening.",
            "offer_slots": "These times are free:\n{slots}\nReply with the number of your choice.",
            "no_preferred_slots": "Nothing is free at your preferred times. These are the nearest times:\n{slots}\nReply with the number of your choice.",
            "no_slots": "There are no free times right now. {tutor} will contact you.",
            "booked": "Your lesson is booked for {when}. See you then! The calendar invitation follows below.",
            "payment": "You pay per lesson through a payment request you receive after the lesson.",
            "info": "{tutor} tutors maths, physics and chemistry, online and in person.",
            "weekend_discount": "You get a discount on weekend lessons. Type 1 to plan a lesson.",
            "handover": "I am handing you over to {tutor}, who will reply as soon as possible.",
            "notify_new_client": "New client: {name} ({level}, {subject}, year {year}, {format}).",
            "slot_taken": "Sorry, {when} has just been taken.",
            "lesson_description": "Tutoring for {name}: {subject}, {level}, year {year}, {format}. Planned by TutorBot.",
            "notify_planning": "Planning request: {name} would like to plan a lesson.",
            "notify_booked": "Lesson booked: {name} on {when}.",
            "notify_handover": "Conversation with {name} handed over: the bot did not understand.",
        ],
    ]

    private var table: [String: [String: String]]

    init(overrides: JSON?) {
        table = Self.defaults
        for (language, texts) in overrides?.objectValue ?? [:] {
            for (key, text) in texts.objectValue ?? [:] {
                if let text = text.stringValue { table[language, default: [:]][key] = text }
            }
        }
    }

    /// The text `key` in `language` (falling back to nl) with `{placeholders}` filled in.
    func render(_ key: String, _ language: String, _ values: [String: String] = [:]) -> String {
        var text = table[language]?[key] ?? table["nl"]?[key] ?? key
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }
}
