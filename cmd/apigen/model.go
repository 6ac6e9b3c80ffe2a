package main

import (
	"fmt"
	"sort"
)

// serviceModel is the part of a botocore service model the generator uses.
type serviceModel struct {
	APIVersion   string
	XMLNamespace string
	Operations   []operation
	Shapes       map[string]*shape
	ShapeOrder   []string
}

type operation struct {
	Name          string
	Input         string // shape name, "" when the operation takes none
	Output        string // shape name, "" when the operation returns none
	ResultWrapper string
	Errors        []string
}

type shape struct {
	Name      string
	Type      string // structure, list, string, integer, boolean, double, timestamp
	Members   []shapeMember
	Required  map[string]bool
	Member    string // list element shape
	MemberLoc string // list element locationName ("" = "member")
	Enum      []string
	Exception bool
	Error     *errorTrait
	Min, Max  *int
	Pattern   string
}

type shapeMember struct {
	Name       string
	Shape      string
	Deprecated bool
}

type errorTrait struct {
	Code       string
	HTTPStatus int
	Sender     bool
}

func loadModel(data []byte) (*serviceModel, error) {
	root, err := parseOrdered(data)
	if err != nil {
		return nil, fmt.Errorf("parse model: %w", err)
	}
	meta := root.get("metadata")
	m := &serviceModel{
		APIVersion:   meta.get("apiVersion").str(),
		XMLNamespace: meta.get("xmlNamespace").str(),
		Shapes:       map[string]*shape{},
	}
	if m.APIVersion == "" || m.XMLNamespace == "" {
		return nil, fmt.Errorf("model metadata lacks apiVersion or xmlNamespace")
	}
	shapes := root.get("shapes")
	if shapes == nil {
		return nil, fmt.Errorf("model has no shapes")
	}
	for _, sm := range shapes.object {
		s := &shape{Name: sm.key, Type: sm.val.get("type").str(), Required: map[string]bool{}}
		for _, mm := range sm.val.get("members").objectMembers() {
			s.Members = append(s.Members, shapeMember{
				Name:       mm.key,
				Shape:      mm.val.get("shape").str(),
				Deprecated: mm.val.get("deprecated").boolean(),
			})
		}
		for _, r := range sm.val.get("required").arrayValues() {
			s.Required[r.str()] = true
		}
		if lm := sm.val.get("member"); lm != nil {
			s.Member = lm.get("shape").str()
			s.MemberLoc = lm.get("locationName").str()
		}
		for _, e := range sm.val.get("enum").arrayValues() {
			s.Enum = append(s.Enum, e.str())
		}
		s.Exception = sm.val.get("exception").boolean()
		if et := sm.val.get("error"); et != nil {
			status, _ := et.get("httpStatusCode").integer()
			s.Error = &errorTrait{Code: et.get("code").str(), HTTPStatus: status, Sender: et.get("senderFault").boolean()}
		}
		if n, ok := sm.val.get("min").integer(); ok {
			s.Min = &n
		}
		if n, ok := sm.val.get("max").integer(); ok {
			s.Max = &n
		}
		s.Pattern = sm.val.get("pattern").str()
		m.Shapes[s.Name] = s
		m.ShapeOrder = append(m.ShapeOrder, s.Name)
	}
	ops := root.get("operations")
	for _, om := range ops.objectMembers() {
		op := operation{Name: om.key}
		if in := om.val.get("input"); in != nil {
			op.Input = in.get("shape").str()
		}
		if out := om.val.get("output"); out != nil {
			op.Output = out.get("shape").str()
			op.ResultWrapper = out.get("resultWrapper").str()
		}
		for _, e := range om.val.get("errors").arrayValues() {
			op.Errors = append(op.Errors, e.get("shape").str())
		}
		m.Operations = append(m.Operations, op)
	}
	sort.Slice(m.Operations, func(i, j int) bool { return m.Operations[i].Name < m.Operations[j].Name })
	sort.Strings(m.ShapeOrder)
	return m, m.check()
}

// check refuses a model the generator would translate wrongly.
func (m *serviceModel) check() error {
	for _, name := range m.ShapeOrder {
		s := m.Shapes[name]
		for _, mem := range s.Members {
			if m.Shapes[mem.Shape] == nil {
				return fmt.Errorf("shape %s member %s refers to unknown shape %s", name, mem.Name, mem.Shape)
			}
		}
		if s.Type == "list" && m.Shapes[s.Member] == nil {
			return fmt.Errorf("list %s has unknown member shape %s", name, s.Member)
		}
		switch s.Type {
		case "structure", "list", "string", "integer", "boolean", "double", "timestamp":
		default:
			return fmt.Errorf("shape %s has unsupported type %q", name, s.Type)
		}
		if s.Exception && (s.Error == nil || s.Error.Code == "" || s.Error.HTTPStatus == 0) {
			return fmt.Errorf("exception %s lacks an error code or status", name)
		}
	}
	for _, op := range m.Operations {
		for _, ref := range []string{op.Input, op.Output} {
			if ref != "" && m.Shapes[ref] == nil {
				return fmt.Errorf("operation %s refers to unknown shape %s", op.Name, ref)
			}
		}
		for _, e := range op.Errors {
			if s := m.Shapes[e]; s == nil || !s.Exception {
				return fmt.Errorf("operation %s declares %s, which is not an exception shape", op.Name, e)
			}
		}
	}
	return nil
}

func (v *value) objectMembers() []member {
	if v == nil || v.kind != kindObject {
		return nil
	}
	return v.object
}

func (v *value) arrayValues() []*value {
	if v == nil || v.kind != kindArray {
		return nil
	}
	return v.array
}
