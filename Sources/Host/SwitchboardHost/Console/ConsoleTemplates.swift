import Mustache

/// The console's pages as Mustache templates; `layout` wraps every page in the tenant's branding.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [
            ("layout", layout), ("login", login), ("inbox", inbox), ("inbox_rows", inboxRows), ("conversation", conversation),
            ("conversation_messages", conversationMessages), ("admin_login", adminLogin), ("admin_tenants", adminTenants),
            ("admin_onboard", adminOnboard), ("admin_plugins", adminPlugins), ("contacts", contacts), ("contact", contact), ("settings", settings),
        ] {
            // The templates are constants of this file: a parse error is a programming error caught by the tests.
            if let template = try? MustacheTemplate(string: text) { library.register(template, named: name) }
        }
        return library
    }()

    static let layout = """
        <!doctype html>
        <html lang="{{locale}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · {{brand.name}}</title>
        <style>:root { --primary: {{brand.primary_color}}; --accent: {{brand.accent_color}}; }</style>
        <link rel="stylesheet" href="/console/assets/console.css">
        <script src="/console/assets/console.js" defer></script>
        </head>
        <body>
        <header>
        {{#brand.logo_url}}<img src="{{brand.logo_url}}" alt="{{brand.name}} logo">{{/brand.logo_url}}
        <strong>{{brand.name}}</strong>
        {{#user}}<nav aria-label="Main">{{#nav}}<a href="{{path}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a>{{/nav}}</nav>{{/user}}
        <span class="spacer"></span>
        {{#user}}<button type="button" data-notifications hidden>Enable notifications</button>
        <span>{{user}}</span>
        <form method="post" action="{{#logout}}{{logout}}{{/logout}}{{^logout}}/console/logout{{/logout}}"><input type="hidden" name="csrf" value="{{csrf}}"><button>Log out</button></form>{{/user}}
        </header>
        <main id="main">{{{content}}}</main>
        {{#brand.email_sender}}<footer class="meta" style="text-align:center;margin:2rem 0">Mail from {{brand.name}} comes from {{brand.email_sender}}</footer>{{/brand.email_sender}}
        </body>
        </html>
        """

    static let login = """
        <form class="card" method="post" action="/console/login" style="max-width: 380px; margin: 3rem auto;">
        <h1>{{brand.name}}</h1>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" value="{{email}}" required>
        <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
        <button class="primary" type="submit">Sign in</button>
        </form>
        """

    static let inbox = """
        <h1>Inbox</h1>
        <nav class="filters">{{#filters}}<a href="/console?filter={{key}}"{{#active}} class="active"{{/active}}>{{label}}</a>{{/filters}}</nav>
        <table>
        <thead><tr><th scope="col">Contact</th><th scope="col">Channel</th><th scope="col">Status</th><th scope="col">Handled by</th><th scope="col">Last message</th><th scope="col">SLA due</th></tr></thead>
        <tbody data-live="/console?filter={{filter}}&amp;fragment=rows">{{> inbox_rows}}</tbody>
        </table>
        """

    static let inboxRows = """
        {{#rows}}<tr class="priority-{{priority}}"><td><a href="{{link}}">{{contact}}</a></td><td>{{channel}}</td><td>{{status}}</td><td>{{owner}}</td><td>{{last}}</td><td{{#overdue}} class="overdue"{{/overdue}}>{{due}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="6">Nothing here.</td></tr>{{/rows}}
        """

    static let conversationMessages = """
        {{#view.messages}}<div class="message {{direction}}">{{content}}<div class="meta">{{time}} · {{channel}} · {{status}}</div></div>{{/view.messages}}
        {{#view.tasks}}<div class="message internal">Task: {{title}}<div class="meta">{{status}}{{#due}} · due {{due}}{{/due}}</div></div>{{/view.tasks}}
        """

    static let conversation = """
        <p><a href="/console">← Inbox</a></p>
        <h1>{{view.contact}} <span class="meta">{{view.channel}} · {{view.status}} · handled by {{view.owner}}</span></h1>
        <form method="post" action="/console/conversations/{{view.id}}/owner">
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{#view.botOwned}}<input type="hidden" name="owner" value="human"><button>Take over from the bot</button>{{/view.botOwned}}
        {{^view.botOwned}}<input type="hidden" name="owner" value="bot"><button>Release to the bot</button>{{/view.botOwned}}
        </form>
        <section aria-label="Messages" data-live="/console/conversations/{{view.id}}?fragment=messages">{{> conversation_messages}}</section>
        <form class="card" method="post" action="/console/conversations/{{view.id}}/note">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="note">Internal note (only your team sees it)</label><textarea id="note" name="text" rows="2" required></textarea>
        <button class="primary" type="submit">Add note</button>
        </form>
        <form class="card" method="post" action="/console/conversations/{{view.id}}/reply">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="text">Reply</label><textarea id="text" name="text" rows="3"></textarea>
        {{#view.hasTemplates}}<label for="template">…or a template</label><select id="template" name="template"><option value="">—</option>{{#view.templates}}<option value="{{name}}">{{name}} ({{language}})</option>{{/view.templates}}</select>{{/view.hasTemplates}}
        <button class="primary" type="submit">Send</button>
        </form>
        """
}
