import Mustache

/// The console's pages as Mustache templates; `layout` wraps every page in the tenant's branding.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [("layout", layout), ("login", login), ("inbox", inbox), ("conversation", conversation)] {
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
        <style>
        :root { --primary: {{brand.primary_color}}; --accent: {{brand.accent_color}}; }
        body { font-family: system-ui, sans-serif; margin: 0; color: #111827; background: #f9fafb; }
        header { background: var(--primary); color: #fff; padding: .75rem 1.5rem; display: flex; align-items: center; gap: 1rem; }
        header img { height: 28px; }
        header .spacer { flex: 1; }
        header button { background: transparent; color: #fff; border: 1px solid #fff6; border-radius: 4px; padding: .25rem .75rem; cursor: pointer; }
        main { max-width: 1100px; margin: 1.5rem auto; padding: 0 1rem; }
        a { color: var(--accent); }
        .filters a { margin-right: 1rem; text-decoration: none; }
        .filters a.active { font-weight: 700; border-bottom: 2px solid var(--accent); }
        table { width: 100%; border-collapse: collapse; background: #fff; }
        th, td { text-align: left; padding: .5rem .75rem; border-bottom: 1px solid #e5e7eb; }
        tr.priority-urgent { background: #fee2e2; } tr.priority-high { background: #ffedd5; }
        .message { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: .5rem .75rem; margin: .5rem 0; max-width: 70%; }
        .message.outbound { margin-left: auto; background: #eef2ff; }
        .meta { color: #6b7280; font-size: .8rem; }
        form.card, .card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 1.5rem; }
        label { display: block; margin: .5rem 0 .25rem; }
        input, textarea, select { width: 100%; padding: .5rem; box-sizing: border-box; }
        .error { color: #b91c1c; }
        button.primary { background: var(--accent); color: #fff; border: 0; border-radius: 4px; padding: .5rem 1rem; margin-top: 1rem; cursor: pointer; }
        </style>
        </head>
        <body>
        <header>
        {{#brand.logo_url}}<img src="{{brand.logo_url}}" alt="">{{/brand.logo_url}}
        <strong>{{brand.name}}</strong>
        <span class="spacer"></span>
        {{#user}}<span>{{user}}</span>
        <form method="post" action="/console/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button>Log out</button></form>{{/user}}
        </header>
        <main>{{{content}}}</main>
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
        <thead><tr><th>Contact</th><th>Channel</th><th>Status</th><th>Handled by</th><th>Last message</th></tr></thead>
        <tbody>
        {{#rows}}<tr class="priority-{{priority}}"><td><a href="/console/conversations/{{id}}">{{contact}}</a></td><td>{{channel}}</td><td>{{status}}</td><td>{{owner}}</td><td>{{last}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="5">Nothing here.</td></tr>{{/rows}}
        </tbody>
        </table>
        """

    static let conversation = """
        <p><a href="/console">← Inbox</a></p>
        <h1>{{view.contact}} <span class="meta">{{view.channel}} · {{view.status}} · handled by {{view.owner}}</span></h1>
        <form method="post" action="/console/conversations/{{view.id}}/owner">
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{#view.botOwned}}<input type="hidden" name="owner" value="human"><button>Take over from the bot</button>{{/view.botOwned}}
        {{^view.botOwned}}<input type="hidden" name="owner" value="bot"><button>Release to the bot</button>{{/view.botOwned}}
        </form>
        {{#view.messages}}<div class="message {{direction}}">{{content}}<div class="meta">{{time}} · {{status}}</div></div>{{/view.messages}}
        <form class="card" method="post" action="/console/conversations/{{view.id}}/reply">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="text">Reply</label><textarea id="text" name="text" rows="3"></textarea>
        {{#view.hasTemplates}}<label for="template">…or a template</label><select id="template" name="template"><option value="">—</option>{{#view.templates}}<option value="{{name}}">{{name}} ({{language}})</option>{{/view.templates}}</select>{{/view.hasTemplates}}
        <button class="primary" type="submit">Send</button>
        </form>
        """
}
