// Package doccheck finds exported names without a doc comment in Go source
// files: packages, functions, methods of exported types, types, constants,
// variables, struct fields and interface methods. A test runs it over every
// module of the repository. No user imports it.
package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Missing is an exported name without a doc comment.
type Missing struct {
	// Pos is where the name is declared.
	Pos token.Position
	// Name is the name, qualified with its type for fields and methods
	// (Config.Interval, (*Group).Scale).
	Name string
}

// String returns "file:line: Name".
func (m Missing) String() string { return fmt.Sprintf("%s:%d: %s", m.Pos.Filename, m.Pos.Line, m.Name) }

// Dir reports the exported names without a doc comment in the non-test Go
// files of the tree under root, relative to root, sorted by position. It
// skips directories named testdata, vendor or starting with "." or "_",
// the directories whose path relative to root is in skip, generated files
// and packages main. Every package needs a package comment in at least one
// of its files.
func Dir(root string, skip ...string) ([]Missing, error) {
	var out []Missing
	pkgDoc := map[string]bool{}    // directory → has a package comment
	pkgFile := map[string]string{} // directory → a file, for the report
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			for _, s := range skip {
				if filepath.Clean(s) == rel {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, rel, src, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) || f.Name.Name == "main" {
			return nil
		}
		dir := filepath.Dir(rel)
		if _, ok := pkgFile[dir]; !ok {
			pkgFile[dir] = rel
		}
		if f.Doc != nil {
			pkgDoc[dir] = true
		}
		out = append(out, File(fset, f)...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for dir, file := range pkgFile {
		if !pkgDoc[dir] {
			out = append(out, Missing{Pos: token.Position{Filename: file, Line: 1}, Name: "package comment"})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pos.Filename != out[j].Pos.Filename {
			return out[i].Pos.Filename < out[j].Pos.Filename
		}
		return out[i].Pos.Line < out[j].Pos.Line
	})
	return out, nil
}

// File reports the exported names of f without a doc comment. A name in a
// parenthesized const, var or type declaration counts as documented when
// the declaration has a comment; a struct field or interface method counts
// as documented with a comment above it or at the end of its line; the
// method of a one-method interface is documented by the interface's
// comment.
func File(fset *token.FileSet, f *ast.File) []Missing {
	var out []Missing
	miss := func(pos token.Pos, name string) {
		out = append(out, Missing{Pos: fset.Position(pos), Name: name})
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || d.Doc != nil {
				continue
			}
			if d.Recv == nil {
				miss(d.Pos(), d.Name.Name)
				continue
			}
			if recv := recvName(d.Recv.List[0].Type); ast.IsExported(strings.TrimPrefix(recv, "*")) {
				miss(d.Pos(), "("+recv+")."+d.Name.Name)
			}
		case *ast.GenDecl:
			grouped := d.Lparen.IsValid() && d.Doc != nil
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if s.Doc == nil && d.Doc == nil {
						miss(s.Pos(), s.Name.Name)
					}
					out = append(out, members(fset, s.Name.Name, s.Type)...)
				case *ast.ValueSpec:
					if s.Doc != nil || s.Comment != nil || grouped || (!d.Lparen.IsValid() && d.Doc != nil) {
						continue
					}
					for _, n := range s.Names {
						if n.IsExported() {
							miss(n.Pos(), n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// members reports the undocumented exported fields of a struct type and
// methods of an interface type named typ, nested struct types included.
func members(fset *token.FileSet, typ string, t ast.Expr) []Missing {
	var list *ast.FieldList
	switch t := t.(type) {
	case *ast.StructType:
		list = t.Fields
	case *ast.InterfaceType:
		if t.Methods.NumFields() < 2 {
			return nil // the type's comment documents its one method
		}
		list = t.Methods
	default:
		return nil
	}
	var out []Missing
	for _, fld := range list.List {
		names := fld.Names
		if len(names) == 0 { // embedded: documented by its own type
			continue
		}
		exported := false
		for _, n := range names {
			exported = exported || n.IsExported()
		}
		if exported && fld.Doc == nil && fld.Comment == nil {
			out = append(out, Missing{Pos: fset.Position(fld.Pos()), Name: typ + "." + names[0].Name})
		}
		if exported {
			out = append(out, members(fset, typ+"."+names[0].Name, fld.Type)...)
		}
	}
	return out
}

// recvName returns the receiver's type name, with a leading * for a
// pointer receiver and without type parameters.
func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}
