// Method + path pattern → handler. Patterns use "{name}" for one path
// segment and "{name*}" for one or more segments, which image names with
// slashes need ("/images/{name*}/json" matches "/images/localhost:5000/a/b/json").
import type { RouteHandler } from './context';

interface Route {
  method: string;
  pattern: string;
  expression: RegExp;
  parameterNames: string[];
  handler: RouteHandler;
}

export interface RouteMatch {
  handler: RouteHandler;
  pattern: string;
  params: Record<string, string>;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler): void {
    const parameterNames: string[] = [];
    const source = pattern
      .split('/')
      .map((segment) => {
        const parameter = /^\{([a-zA-Z]+)(\*?)\}$/.exec(segment);
        if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        parameterNames.push(parameter[1]);
        return parameter[2] === '*' ? '(.+)' : '([^/]+)';
      })
      .join('/');
    this.routes.push({ method, pattern, expression: new RegExp(`^${source}$`), parameterNames, handler });
  }

  // Returns the first route registered for the method whose pattern matches the path.
  match(method: string, path: string): RouteMatch | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const found = route.expression.exec(path);
      if (!found) continue;
      const params: Record<string, string> = {};
      route.parameterNames.forEach((name, index) => {
        params[name] = found[index + 1];
      });
      return { handler: route.handler, pattern: route.pattern, params };
    }
    return null;
  }
}
